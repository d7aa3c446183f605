// Table-driven VMState and the timer/globalstate devices; see vmstate_devices.h.
#include "migration/vmstate_devices.h"

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "qapi/json_writer.h"

namespace migemu::migration {

namespace {
std::string vformat(const char* fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(nullptr, 0, fmt, ap2);
  va_end(ap2);
  std::string s(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) vsnprintf(s.data(), s.size() + 1, fmt, ap);
  return s;
}
}  // namespace

void LoadLog::error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lines.push_back(vformat(fmt, ap));
  va_end(ap);
}

void LoadLog::warn(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lines.push_back("warning: " + vformat(fmt, ap));
  va_end(ap);
}

// ------------------------------------------------------------- VmdescWriter

void VmdescWriter::comma_name(const char* name) {
  if (need_comma_) {
    out_ += ", ";
  } else {
    need_comma_ = true;
  }
  if (!is_array_.empty() && !is_array_.back()) {
    append_json_string(out_, name ? name : "");
    out_ += ": ";
  }
}

void VmdescWriter::start_object(const char* name) {
  comma_name(name);
  out_ += '{';
  is_array_.push_back(false);
  need_comma_ = false;
}

void VmdescWriter::end_object() {
  is_array_.pop_back();
  need_comma_ = true;
  out_ += '}';
}

void VmdescWriter::start_array(const char* name) {
  comma_name(name);
  out_ += '[';
  is_array_.push_back(true);
  need_comma_ = false;
}

void VmdescWriter::end_array() {
  is_array_.pop_back();
  need_comma_ = true;
  out_ += ']';
}

void VmdescWriter::str(const char* name, std::string_view value) {
  comma_name(name);
  append_json_string(out_, value);
}

void VmdescWriter::int64(const char* name, int64_t value) {
  comma_name(name);
  out_ += std::to_string(value);
}

// ------------------------------------------------------------------ VMState

const char* vms_type_name(VmsType t) {
  switch (t) {
    case VmsType::kBool:
      return "bool";
    case VmsType::kInt8:
      return "int8";
    case VmsType::kUint8:
      return "uint8";
    case VmsType::kInt16:
      return "int16";
    case VmsType::kUint16:
      return "uint16";
    case VmsType::kInt32:
      return "int32";
    case VmsType::kUint32:
      return "uint32";
    case VmsType::kInt64:
      return "int64";
    case VmsType::kUint64:
      return "uint64";
    case VmsType::kBuffer:
      return "buffer";
    case VmsType::kUnusedBuffer:
      return "unused_buffer";
    case VmsType::kTimer:
      return "timer";
  }
  return "unknown";
}

namespace {

uint64_t load_uint(const void* p, size_t size) {
  switch (size) {
    case 1: {
      uint8_t v;
      std::memcpy(&v, p, 1);
      return v;
    }
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

void store_uint(void* p, size_t size, uint64_t v) {
  switch (size) {
    case 1: {
      uint8_t x = static_cast<uint8_t>(v);
      std::memcpy(p, &x, 1);
      break;
    }
    case 2: {
      uint16_t x = static_cast<uint16_t>(v);
      std::memcpy(p, &x, 2);
      break;
    }
    case 4: {
      uint32_t x = static_cast<uint32_t>(v);
      std::memcpy(p, &x, 4);
      break;
    }
    default:
      std::memcpy(p, &v, 8);
      break;
  }
}

void put_field(QemuFile& f, const VmStateField& field, void* opaque) {
  switch (field.type) {
    case VmsType::kUnusedBuffer: {
      static const uint8_t zeros[1024] = {};
      for (size_t left = field.size; left > 0;) {
        size_t k = std::min(left, sizeof zeros);
        f.put_buffer(zeros, k);
        left -= k;
      }
      return;
    }
    case VmsType::kBuffer:
      f.put_buffer(static_cast<const uint8_t*>(field.locate(opaque)), field.size);
      return;
    case VmsType::kBool:
      f.put_byte(*static_cast<const bool*>(field.locate(opaque)) ? 1 : 0);
      return;
    default:
      break;
  }
  uint64_t v = load_uint(field.locate(opaque), field.size);
  switch (field.size) {
    case 1:
      f.put_byte(static_cast<uint8_t>(v));
      break;
    case 2:
      f.put_be16(static_cast<uint16_t>(v));
      break;
    case 4:
      f.put_be32(static_cast<uint32_t>(v));
      break;
    default:
      f.put_be64(v);
      break;
  }
}

// Returns 0 or -errno.
int get_field(QemuFile& f, const VmStateField& field, void* opaque) {
  switch (field.type) {
    case VmsType::kUnusedBuffer:
      f.skip(field.size);
      return 0;
    case VmsType::kBuffer:
      f.get_buffer(static_cast<uint8_t*>(field.locate(opaque)), field.size);
      return 0;
    case VmsType::kBool: {
      *static_cast<bool*>(field.locate(opaque)) = f.get_byte() != 0;
      return 0;
    }
    default:
      break;
  }
  uint64_t v;
  switch (field.size) {
    case 1:
      v = f.get_byte();
      break;
    case 2:
      v = f.get_be16();
      break;
    case 4:
      v = f.get_be32();
      break;
    default:
      v = f.get_be64();
      break;
  }
  store_uint(field.locate(opaque), field.size, v);
  return 0;
}

const VmStateDescription* find_subsection(const VmStateDescription& vmsd, std::string_view name) {
  for (const VmStateDescription* s : vmsd.subsections) {
    if (name == s->name) return s;
  }
  return nullptr;
}

int load_subsections(QemuFile& f, const VmStateDescription& vmsd, void* opaque, LoadLog& log) {
  const size_t own_len = std::strlen(vmsd.name);
  while (f.peek_byte(0) == 0x05) {  // QEMU_VM_SUBSECTION
    uint8_t len = f.peek_byte(1);
    if (len < own_len + 1) return 0;  // not "parent/child": ends the body
    char idstr[256];
    if (f.peek_buffer(reinterpret_cast<uint8_t*>(idstr), len, 2) != len) return 0;
    std::string_view name(idstr, len);
    if (name.substr(0, own_len) != vmsd.name) return 0;
    const VmStateDescription* sub = find_subsection(vmsd, name);
    if (!sub) return -ENOENT;  // 7.2 says nothing here
    f.consume_peeked(2 + size_t(len));
    // 7.2 keeps the be32 version in a uint8_t.
    uint8_t version = static_cast<uint8_t>(f.get_be32());
    int ret = vmstate_load(f, *sub, opaque, version, log);
    if (ret) return ret;
  }
  return 0;
}

}  // namespace

int vmstate_save(QemuFile& f, const VmStateDescription& vmsd, void* opaque, VmdescWriter* vmdesc) {
  if (vmsd.pre_save) {
    int ret = vmsd.pre_save(opaque);
    if (ret) return ret;
  }
  if (vmdesc) {
    vmdesc->str("vmsd_name", vmsd.name);
    vmdesc->int64("version", vmsd.version_id);
    vmdesc->start_array("fields");
  }
  for (const VmStateField& field : vmsd.fields) {
    if (field.version_id > vmsd.version_id) continue;
    uint64_t before = f.bytes_queued();
    put_field(f, field, opaque);
    if (vmdesc) {
      vmdesc->start_object();
      vmdesc->str("name", field.name);
      vmdesc->str("type", vms_type_name(field.type));
      vmdesc->int64("size", static_cast<int64_t>(f.bytes_queued() - before));
      vmdesc->end_object();
    }
  }
  if (vmdesc) vmdesc->end_array();

  bool any_sub = false;
  for (const VmStateDescription* sub : vmsd.subsections) {
    if (sub->needed && !sub->needed(opaque)) continue;
    if (vmdesc) {
      if (!any_sub) vmdesc->start_array("subsections");
      vmdesc->start_object();
    }
    any_sub = true;
    f.put_byte(0x05);
    f.put_counted_string(sub->name);
    f.put_be32(static_cast<uint32_t>(sub->version_id));
    int ret = vmstate_save(f, *sub, opaque, vmdesc);
    if (ret) return ret;
    if (vmdesc) vmdesc->end_object();
  }
  if (vmdesc && any_sub) vmdesc->end_array();
  return f.error();
}

int vmstate_load(QemuFile& f, const VmStateDescription& vmsd, void* opaque, int version_id,
                 LoadLog& log) {
  if (version_id > vmsd.version_id) {
    log.error("%s: incoming version_id %d is too new for local version_id %d", vmsd.name,
              version_id, vmsd.version_id);
    return -EINVAL;
  }
  if (version_id < vmsd.minimum_version_id) {
    // Two spaces before the number, as in 7.2.
    log.error("%s: incoming version_id %d is too old for local minimum version_id  %d", vmsd.name,
              version_id, vmsd.minimum_version_id);
    return -EINVAL;
  }
  for (const VmStateField& field : vmsd.fields) {
    if (field.version_id > version_id) continue;
    int ret = get_field(f, field, opaque);
    if (ret >= 0) ret = f.error();
    if (ret < 0) {
      f.set_error(ret);
      log.error("Failed to load %s:%s", vmsd.name, field.name);
      return ret;
    }
  }
  int ret = load_subsections(f, vmsd, opaque, log);
  if (ret) return ret;
  if (vmsd.post_load) return vmsd.post_load(opaque, version_id, log);
  return 0;
}

// ------------------------------------------------------------------ timer

namespace {
bool icount_needed(void* opaque) {
  return static_cast<TimerState*>(opaque)->icount_received;
}
bool never_needed(void*) {
  return false;
}
int icount_post_load(void* opaque, int, LoadLog&) {
  static_cast<TimerState*>(opaque)->icount_received = true;
  return 0;
}

const VmStateDescription kIcountWarpTimerVmsd{
    .name = "timer/icount/warp_timer",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = {vms_field<&TimerState::vm_clock_warp_start>("vm_clock_warp_start"),
               vms_timer<&TimerState::icount_warp_timer>("icount_warp_timer")},
    .needed = never_needed,
};
const VmStateDescription kIcountTimersVmsd{
    .name = "timer/icount/timers",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = {vms_timer<&TimerState::icount_rt_timer>("icount_rt_timer"),
               vms_timer<&TimerState::icount_vm_timer>("icount_vm_timer")},
    .needed = never_needed,
};
const VmStateDescription kIcountShiftVmsd{
    .name = "timer/icount/shift",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = {vms_field<&TimerState::icount_time_shift>("icount_time_shift"),
               vms_field<&TimerState::last_delta>("last_delta")},
    .needed = never_needed,
};
const VmStateDescription kIcountVmsd{
    .name = "timer/icount",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = {vms_field<&TimerState::qemu_icount_bias>("qemu_icount_bias"),
               vms_field<&TimerState::qemu_icount>("qemu_icount")},
    .subsections = {&kIcountWarpTimerVmsd, &kIcountTimersVmsd, &kIcountShiftVmsd},
    .needed = icount_needed,
    .post_load = icount_post_load,
};
}  // namespace

const VmStateDescription kTimerVmsd{
    .name = "timer",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = {vms_field<&TimerState::cpu_ticks_offset>("cpu_ticks_offset"), vms_unused(8),
               vms_field<&TimerState::cpu_clock_offset>("cpu_clock_offset", 2)},
    .subsections = {&kIcountVmsd},
};

// ------------------------------------------------------------ globalstate

void GlobalState::store(qapi::RunState s) {
  const char* n = qapi::to_string(s);
  size_t len = std::strlen(n) + 1;
  if (len <= runstate.size()) std::memcpy(runstate.data(), n, len);
}

void GlobalState::store_running() {
  runstate.fill(0);
  std::memcpy(runstate.data(), "running", 7);
}

std::string GlobalState::name() const {
  const char* p = reinterpret_cast<const char*>(runstate.data());
  return std::string(p, strnlen(p, runstate.size()));
}

namespace {
bool globalstate_needed(void* opaque) {
  auto* s = static_cast<GlobalState*>(opaque);
  if (s->store_global_state) return true;
  std::string n = s->name();
  return n != "running" && n != "paused";
}

int globalstate_pre_save(void* opaque) {
  auto* s = static_cast<GlobalState*>(opaque);
  s->size = static_cast<uint32_t>(s->name().size() + 1);
  return 0;
}

int globalstate_post_load(void* opaque, int, LoadLog& log) {
  auto* s = static_cast<GlobalState*>(opaque);
  s->received = true;
  // A name filling all 100 bytes is cut to 99, as 7.2 does.
  if (strnlen(reinterpret_cast<const char*>(s->runstate.data()), s->runstate.size()) ==
      s->runstate.size()) {
    s->runstate.back() = 0;
  }
  std::string n = s->name();
  auto st = qapi::RunState_from_string(n);
  if (!st) {
    log.error("invalid parameter value: %s", n.c_str());
    return -EINVAL;
  }
  s->state = *st;
  return 0;
}
}  // namespace

const VmStateDescription kGlobalStateVmsd{
    .name = "globalstate",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = {vms_field<&GlobalState::size>("size"),
               vms_field<&GlobalState::runstate>("runstate")},
    .needed = globalstate_needed,
    .pre_save = globalstate_pre_save,
    .post_load = globalstate_post_load,
};

}  // namespace migemu::migration
