// Savevm framing and the stream loader; see savevm.h.
#include "migration/savevm.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>

namespace migemu::migration {

const char* const kMigrationCapabilityNames[21] = {
    "xbzrle",           "rdma-pin-all",  "auto-converge",       "zero-blocks",
    "compress",         "events",        "postcopy-ram",        "x-colo",
    "release-ram",      "block",         "return-path",         "pause-before-switchover",
    "multifd",          "dirty-bitmaps", "postcopy-blocktime",  "late-block-activate",
    "x-ignore-shared",  "validate-uuid", "background-snapshot", "zero-copy-send",
    "postcopy-preempt",
};

namespace {
constexpr int kXIgnoreSharedIndex = 16;
constexpr int kLoadvmQuit = 1;
constexpr uint32_t kTargetPageBits = 12;

// 7.2's mig_cmd_args. ENABLE_COLO has no entry there: its length must be 0
// and glibc prints its NULL name as "(null)".
const char* const kCmdNames[] = {
    "INVALID",      "OPEN_RETURN_PATH",     "PING",     "POSTCOPY_ADVISE", "POSTCOPY_LISTEN",
    "POSTCOPY_RUN", "POSTCOPY_RAM_DISCARD", "PACKAGED", "(null)",          "POSTCOPY_RESUME",
    "RECV_BITMAP"};
// Fixed payload length per command, -1 = variable.
constexpr int kCmdLen[] = {-1, 0, 4, -1, 0, 0, -1, 4, 0, 0, -1};

void put_subsection_header(QemuFile& f, std::string_view name, uint32_t version) {
  f.put_byte(static_cast<uint8_t>(SectionType::kSubsection));
  f.put_counted_string(name);
  f.put_be32(version);
}

}  // namespace

// ------------------------------------------------------------------ saving

void save_header(QemuFile& f, const SaveConfig& cfg) {
  f.put_be32(kFileMagic);
  f.put_be32(kFileVersion);
  if (!cfg.send_configuration) return;
  f.put_byte(static_cast<uint8_t>(SectionType::kConfiguration));
  f.put_be32(static_cast<uint32_t>(cfg.machine_name.size()));
  f.put_buffer(cfg.machine_name);
  // configuration/target-page-bits: never needed on x86.
  if (cfg.x_ignore_shared) {
    put_subsection_header(f, "configuration/capabilities", 1);
    f.put_be32(1);
    f.put_counted_string(kMigrationCapabilityNames[kXIgnoreSharedIndex]);
  }
  if (cfg.uuid) {
    put_subsection_header(f, "configuration/uuid", 1);
    f.put_buffer(cfg.uuid->data(), cfg.uuid->size());
  }
}

void save_command(QemuFile& f, MigCommand cmd, std::span<const uint8_t> payload) {
  f.put_byte(static_cast<uint8_t>(SectionType::kCommand));
  f.put_be16(static_cast<uint16_t>(cmd));
  f.put_be16(static_cast<uint16_t>(payload.size()));
  f.put_buffer(payload);
}

void save_open_return_path(QemuFile& f) {
  save_command(f, MigCommand::kOpenReturnPath);
}

void save_ping(QemuFile& f, uint32_t value) {
  uint8_t b[4] = {uint8_t(value >> 24), uint8_t(value >> 16), uint8_t(value >> 8), uint8_t(value)};
  save_command(f, MigCommand::kPing, b);
}

void save_section_header(QemuFile& f, SectionType type, const SectionInfo& s) {
  f.put_byte(static_cast<uint8_t>(type));
  f.put_be32(s.section_id);
  if (type == SectionType::kStart || type == SectionType::kFull) {
    f.put_counted_string(s.idstr);
    f.put_be32(s.instance_id);
    f.put_be32(s.version_id);
  }
}

void save_section_footer(QemuFile& f, const SectionInfo& s) {
  f.put_byte(static_cast<uint8_t>(SectionType::kFooter));
  f.put_be32(s.section_id);
}

std::vector<DeviceEntry> none_machine_devices(TimerState& timer, GlobalState& gs) {
  return {DeviceEntry{kTimerSection, &kTimerVmsd, &timer},
          DeviceEntry{kGlobalStateSection, &kGlobalStateVmsd, &gs}};
}

int save_device_state(QemuFile& f, std::span<const DeviceEntry> devices,
                      const DeviceSaveOptions& opt, std::string* vmdesc_out) {
  VmdescWriter w;
  w.start_object();
  w.int64("page_size", static_cast<int64_t>(opt.page_size));
  w.start_array("devices");
  for (const DeviceEntry& d : devices) {
    if (d.vmsd->needed && !d.vmsd->needed(d.opaque)) continue;
    w.start_object();
    w.str("name", d.section.idstr);
    w.int64("instance_id", d.section.instance_id);
    save_section_header(f, SectionType::kFull, d.section);
    int ret = vmstate_save(f, *d.vmsd, d.opaque, &w);
    if (ret) {
      f.set_error(ret);
      return ret;
    }
    if (opt.send_section_footer) save_section_footer(f, d.section);
    w.end_object();
  }
  if (opt.send_vmdesc) f.put_byte(static_cast<uint8_t>(SectionType::kEof));
  w.end_array();
  w.end_object();
  if (opt.send_vmdesc) {
    f.put_byte(static_cast<uint8_t>(SectionType::kVmdescription));
    f.put_be32(static_cast<uint32_t>(w.json().size()));
    f.put_buffer(w.json());
  }
  if (vmdesc_out) *vmdesc_out = w.json();
  return f.error();
}

// ------------------------------------------------------------------ loading

namespace {

enum class PostcopyState { kNone = 0, kAdvise, kDiscard, kListening, kRunning, kEnd };

struct Handler {
  SectionInfo info;
  enum class Kind { kTimer, kRam, kGlobalState } kind;
  uint32_t load_section_id = 0;
  int load_version_id = 0;
};

class Loader {
 public:
  Loader(LoadTarget& t, LoadOutcome& out, LoadLog& log)
      : t_(t), out_(out), log_(log), ram_(t.ram_blocks) {
    timer_ = t.timer ? t.timer : &scratch_timer_;
    gs_ = t.global_state ? t.global_state : &scratch_gs_;
    RamLoader::Options& o = ram_.options();
    o.compress = t.compress;
    o.x_ignore_shared = t.x_ignore_shared;
    o.postcopy_ram = t.postcopy_ram;
    o.eos_sync = t.ram_eos_sync;
    // 7.2's handler list order matters for PART/END lookup (first match).
    handlers_ = {{kTimerSection, Handler::Kind::kTimer},
                 {kRamSection, Handler::Kind::kRam},
                 {kGlobalStateSection, Handler::Kind::kGlobalState}};
    gs_->received = false;
  }

  int run(QemuFile& f);

 private:
  int load_header(QemuFile& f);
  int load_configuration(QemuFile& f);
  int load_main(QemuFile& f);
  int start_full(QemuFile& f);
  int part_end(QemuFile& f);
  int load_handler(QemuFile& f, Handler& h);
  bool check_footer(QemuFile& f, const Handler& h);
  int process_command(QemuFile& f);
  int handle_packaged(QemuFile& f);
  int handle_advise(QemuFile& f, uint16_t len);
  int handle_recv_bitmap(QemuFile& f, uint16_t len);
  int unsupported(const char* what) {
    log_.error("%s is not supported by this emulator", what);
    return -ENOTSUP;
  }

  LoadTarget& t_;
  LoadOutcome& out_;
  LoadLog& log_;
  RamLoader ram_;
  std::vector<Handler> handlers_;
  TimerState scratch_timer_;
  GlobalState scratch_gs_;
  TimerState* timer_;
  GlobalState* gs_;
  PostcopyState postcopy_ = PostcopyState::kNone;
  bool rp_open_ = false;
  bool in_package_ = false;  // loading the contents of a CMD_PACKAGED
};

int Loader::load_header(QemuFile& f) {
  if (f.get_be32() != kFileMagic) {
    log_.error("Not a migration stream");
    return -EINVAL;
  }
  uint32_t v = f.get_be32();
  if (v == kFileVersionCompat) {
    log_.error("SaveVM v2 format is obsolete and don't work anymore");
    return -ENOTSUP;
  }
  if (v != kFileVersion) {
    log_.error("Unsupported migration stream version");
    return -ENOTSUP;
  }
  if (t_.send_configuration) {
    if (f.get_byte() != static_cast<uint8_t>(SectionType::kConfiguration)) {
      log_.error("Configuration section missing");
      return -EINVAL;
    }
    return load_configuration(f);
  }
  return 0;
}

// 7.2's vmstate_configuration, loaded at version 0: be32 len, name, then
// the target-page-bits / capabilities / uuid subsections, then post_load.
int Loader::load_configuration(QemuFile& f) {
  uint32_t target_page_bits = kTargetPageBits;  // pre_load: the minimum
  bool caps[21] = {};
  auto field_error = [&](const char* vmsd, const char* field) {
    int ret = f.error();
    log_.error("Failed to load %s:%s", vmsd, field);
    return ret;
  };

  uint32_t len = f.get_be32();
  if (f.error()) return field_error("configuration", "len");
  // Keep a bounded prefix: only it can ever match a machine name.
  constexpr size_t kKeep = 4096;
  std::string name(std::min<size_t>(len, kKeep), '\0');
  f.get_buffer(reinterpret_cast<uint8_t*>(name.data()), name.size());
  if (len > kKeep) f.skip(len - kKeep);
  if (f.error()) return field_error("configuration", "name");

  // Subsections, found by peeking as 7.2 does.
  while (f.peek_byte(0) == static_cast<uint8_t>(SectionType::kSubsection)) {
    uint8_t sl = f.peek_byte(1);
    if (sl < std::strlen("configuration") + 1) break;
    char idbuf[256];
    if (f.peek_buffer(reinterpret_cast<uint8_t*>(idbuf), sl, 2) != sl) break;
    std::string_view id(idbuf, sl);
    if (id.substr(0, 13) != "configuration") break;
    const char* sub = nullptr;
    for (const char* n :
         {"configuration/target-page-bits", "configuration/capabilities", "configuration/uuid"}) {
      if (id == n) sub = n;
    }
    if (!sub) return -ENOENT;  // silent in 7.2
    f.consume_peeked(2 + size_t(sl));
    int version = static_cast<uint8_t>(f.get_be32());
    if (version > 1) {
      log_.error("%s: incoming version_id %d is too new for local version_id %d", sub, version, 1);
      return -EINVAL;
    }
    if (version < 1) {
      log_.error("%s: incoming version_id %d is too old for local minimum version_id  %d", sub,
                 version, 1);
      return -EINVAL;
    }
    std::string_view s(sub);
    if (s == "configuration/target-page-bits") {
      target_page_bits = f.get_be32();
      if (f.error()) return field_error(sub, "target_page_bits");
    } else if (s == "configuration/capabilities") {
      uint32_t count = f.get_be32();
      if (f.error()) return field_error(sub, "caps_count");
      std::fill(std::begin(caps), std::end(caps), false);
      for (uint32_t i = 0; i < count; i++) {
        std::string cap;
        uint8_t cl = f.get_byte();
        char cbuf[256];
        size_t got = f.get_buffer(reinterpret_cast<uint8_t*>(cbuf), cl);
        cap.assign(cbuf, got);
        cap = cap.substr(0, cap.find('\0'));
        int found = -1;
        for (int k = 0; k < 21; k++) {
          if (cap == kMigrationCapabilityNames[k]) found = k;
        }
        int ret = 0;
        if (found < 0) {
          log_.error("Received unknown capability %s", cap.c_str());
          ret = -EINVAL;
        } else {
          caps[found] = true;
          ret = f.error();
        }
        if (ret < 0) {
          f.set_error(ret);
          log_.error("Failed to load %s:%s", sub, "capabilities");
          return ret;
        }
      }
    } else {  // uuid: 16 uint8 elements, then post_load
      Uuid u{};
      f.get_buffer(u.data(), u.size());
      if (f.error()) return field_error(sub, "uuid.data");
      if (!t_.local_uuid) {
        log_.warn("UUID is received %s, but local uuid isn't set", uuid_text(u).c_str());
      } else if (*t_.local_uuid != u) {
        log_.error("UUID received is %s and local is %s", uuid_text(u).c_str(),
                   uuid_text(*t_.local_uuid).c_str());
        return -EINVAL;
      }
    }
  }

  // post_load: the received name must match the local one over its own
  // length only (strncmp), so a prefix of the local name is accepted.
  const std::string& local = t_.machine_name;
  bool match = true;
  for (size_t i = 0; i < len; i++) {
    char a = i < name.size() ? name[i] : 0;
    char b = i < local.size() ? local[i] : 0;
    if (a != b) {
      match = false;
      break;
    }
    if (a == 0) break;
  }
  if (!match) {
    std::string shown = name.substr(0, name.find('\0'));
    log_.error("Machine type received is '%s' and local is '%s'", shown.c_str(), local.c_str());
    return -EINVAL;
  }
  if (target_page_bits != kTargetPageBits) {
    log_.error("Received TARGET_PAGE_BITS is %d but local is %d",
               static_cast<int>(target_page_bits), static_cast<int>(kTargetPageBits));
    return -EINVAL;
  }
  bool ok = true;
  if (caps[kXIgnoreSharedIndex] != t_.x_ignore_shared) {
    log_.error("Capability %s is %s, but received capability is %s",
               kMigrationCapabilityNames[kXIgnoreSharedIndex], t_.x_ignore_shared ? "on" : "off",
               caps[kXIgnoreSharedIndex] ? "on" : "off");
    ok = false;
  }
  return ok ? 0 : -EINVAL;
}

int Loader::load_handler(QemuFile& f, Handler& h) {
  switch (h.kind) {
    case Handler::Kind::kRam: {
      int ret = ram_.load(f, h.load_version_id, log_);
      return ret;
    }
    case Handler::Kind::kTimer: {
      int ret = vmstate_load(f, kTimerVmsd, timer_, h.load_version_id, log_);
      if (ret == 0) out_.timer_received = true;
      return ret;
    }
    case Handler::Kind::kGlobalState:
      return vmstate_load(f, kGlobalStateVmsd, gs_, h.load_version_id, log_);
  }
  return -EINVAL;
}

bool Loader::check_footer(QemuFile& f, const Handler& h) {
  if (!t_.send_section_footer) return true;
  uint8_t mark = f.get_byte();
  if (int ret = f.error()) {
    log_.error("check_section_footer: Read section footer failed: %d", ret);
    return false;
  }
  if (mark != static_cast<uint8_t>(SectionType::kFooter)) {
    log_.error("Missing section footer for %s", h.info.idstr.c_str());
    return false;
  }
  uint32_t id = f.get_be32();
  if (id != h.load_section_id) {
    log_.error("Mismatched section id in footer for %s - read 0x%x expected 0x%x",
               h.info.idstr.c_str(), id, h.load_section_id);
    return false;
  }
  return true;
}

int Loader::start_full(QemuFile& f) {
  uint32_t section_id = f.get_be32();
  std::string idstr;
  if (!f.get_counted_string(&idstr)) {
    log_.error("Unable to read ID string for section %u", section_id);
    return -EINVAL;
  }
  idstr = idstr.substr(0, idstr.find('\0'));
  uint32_t instance_id = f.get_be32();
  uint32_t version_id = f.get_be32();
  if (int ret = f.error()) {
    log_.error("qemu_loadvm_section_start_full: Failed to read instance/version ID: %d", ret);
    return ret;
  }
  Handler* h = nullptr;
  for (Handler& c : handlers_) {
    if (c.info.idstr == idstr && c.info.instance_id == instance_id) {
      h = &c;
      break;
    }
  }
  if (!h) {
    log_.error(
        "Unknown savevm section or instance '%s' %u. Make sure that your current VM setup "
        "matches your saved VM setup, including any hotplugged devices",
        idstr.c_str(), instance_id);
    return -EINVAL;
  }
  if (version_id > h->info.version_id) {
    log_.error("savevm: unsupported version %d for '%s' v%d", static_cast<int>(version_id),
               idstr.c_str(), static_cast<int>(h->info.version_id));
    return -EINVAL;
  }
  h->load_version_id = static_cast<int>(version_id);
  h->load_section_id = section_id;
  int ret = load_handler(f, *h);
  if (ret < 0) {
    log_.error("error while loading state for instance 0x%x of device '%s'", instance_id,
               idstr.c_str());
    return ret;
  }
  if (!check_footer(f, *h)) return -EINVAL;
  return 0;
}

int Loader::part_end(QemuFile& f) {
  uint32_t section_id = f.get_be32();
  if (int ret = f.error()) {
    log_.error("qemu_loadvm_section_part_end: Failed to read section ID: %d", ret);
    return ret;
  }
  Handler* h = nullptr;
  for (Handler& c : handlers_) {
    if (c.load_section_id == section_id) {
      h = &c;
      break;
    }
  }
  if (!h) {
    log_.error("Unknown savevm section %d", static_cast<int>(section_id));
    return -EINVAL;
  }
  int ret = load_handler(f, *h);
  if (ret < 0) {
    log_.error("error while loading state section id %d(%s)", static_cast<int>(section_id),
               h->info.idstr.c_str());
    return ret;
  }
  if (!check_footer(f, *h)) return -EINVAL;
  return 0;
}

int Loader::handle_packaged(QemuFile& f) {
  // A 7.2 source sends one package (postcopy's device state) and never puts
  // a package inside it. Each level would hold its own copy of the rest of
  // the stream and recurse: a 540 KB stream of nested packages took more than
  // 2 GB (found by tests/fuzz/migration_stream_fuzz).
  if (in_package_) return unsupported("CMD_PACKAGED inside CMD_PACKAGED");
  uint32_t length = f.get_be32();
  // Grow with the data actually received: a huge announced length costs
  // nothing unless the bytes really arrive.
  std::vector<uint8_t> data;
  size_t got = 0;
  while (got < length) {
    size_t chunk = std::min<size_t>(length - got, 1 << 20);
    data.resize(got + chunk);
    size_t n = f.get_buffer(data.data() + got, chunk);
    got += n;
    if (n < chunk) break;
  }
  if (got != length) {
    log_.error("CMD_PACKAGED: Buffer receive fail ret=%d length=%zu", static_cast<int>(got),
               static_cast<size_t>(length));
    return -EAGAIN;
  }
  data.resize(got);
  QemuFile packf(make_memory_reader(std::move(data)), QemuFile::Mode::kRead);
  in_package_ = true;
  int ret = load_main(packf);
  in_package_ = false;
  return ret;
}

int Loader::handle_advise(QemuFile& f, uint16_t len) {
  PostcopyState ps = postcopy_;
  postcopy_ = PostcopyState::kAdvise;
  if (ps != PostcopyState::kNone) {
    log_.error("CMD_POSTCOPY_ADVISE in wrong postcopy state (%d)", static_cast<int>(ps));
    return -1;
  }
  switch (len) {
    case 0:
      if (t_.postcopy_ram) {
        log_.error("RAM postcopy is enabled but have 0 byte advise");
        return -EINVAL;
      }
      return 0;
    case 16:
      if (!t_.postcopy_ram) {
        log_.error("RAM postcopy is disabled but have 16 byte advise");
        return -EINVAL;
      }
      break;
    default:
      log_.error("CMD_POSTCOPY_ADVISE invalid length (%d)", len);
      return -EINVAL;
  }
  uint64_t remote_summary = f.get_be64();
  uint64_t local_summary = 0;
  for (const RamBlockView& b : t_.ram_blocks) local_summary |= b.page_size;
  if (remote_summary != local_summary) {
    log_.error("Postcopy needs matching RAM page sizes (s=%" PRIx64 " d=%" PRIx64 ")",
               remote_summary, local_summary);
    return -1;
  }
  uint64_t remote_tps = f.get_be64();
  if (remote_tps != kTargetPageSize) {
    log_.error("Postcopy needs matching target page sizes (s=%d d=%zd)",
               static_cast<int>(remote_tps), static_cast<ssize_t>(kTargetPageSize));
    return -1;
  }
  ram_.options().postcopy_advised = true;
  return 0;
}

int Loader::handle_recv_bitmap(QemuFile& f, uint16_t len) {
  std::string name;
  size_t cnt = f.get_counted_string(&name);
  if (!cnt) {
    log_.error("loadvm_handle_recv_bitmap: failed to read block name");
    return -EINVAL;
  }
  if (int ret = f.error()) return ret;
  if (len != cnt + 1) {
    log_.error("loadvm_handle_recv_bitmap: invalid payload length (%d)", len);
    return -EINVAL;
  }
  name = name.substr(0, name.find('\0'));
  bool found = false;
  for (const RamBlockView& b : t_.ram_blocks) found |= b.idstr == name;
  if (!found) {
    log_.error("loadvm_handle_recv_bitmap: block '%s' not found", name.c_str());
    return -EINVAL;
  }
  return unsupported("Postcopy recovery (RECV_BITMAP)");
}

int Loader::process_command(QemuFile& f) {
  uint16_t cmd = f.get_be16();
  uint16_t len = f.get_be16();
  if (int ret = f.error()) return ret;
  if (cmd >= static_cast<uint16_t>(MigCommand::kMax) || cmd == 0) {
    log_.error("MIG_CMD 0x%x unknown (len 0x%x)", cmd, len);
    return -EINVAL;
  }
  if (kCmdLen[cmd] != -1 && kCmdLen[cmd] != len) {
    log_.error("%s received with bad length - expecting %zu, got %d", kCmdNames[cmd],
               static_cast<size_t>(kCmdLen[cmd]), len);
    return -ERANGE;
  }
  switch (static_cast<MigCommand>(cmd)) {
    case MigCommand::kOpenReturnPath:
      if (rp_open_) {
        log_.error("CMD_OPEN_RETURN_PATH called when RP already open");
        return 0;
      }
      if (!t_.open_return_path || !t_.open_return_path()) {
        log_.error("CMD_OPEN_RETURN_PATH failed");
        return -1;
      }
      rp_open_ = true;
      out_.return_path_opened = true;
      return 0;
    case MigCommand::kPing: {
      uint32_t v = f.get_be32();
      if (!rp_open_) {
        log_.error("CMD_PING (0x%x) received with no return path", v);
        return -1;
      }
      if (t_.send_pong) t_.send_pong(v);
      return 0;
    }
    case MigCommand::kPackaged:
      return handle_packaged(f);
    case MigCommand::kPostcopyAdvise:
      return handle_advise(f, len);
    case MigCommand::kPostcopyListen: {
      PostcopyState ps = postcopy_;
      postcopy_ = PostcopyState::kListening;
      if (ps != PostcopyState::kAdvise && ps != PostcopyState::kDiscard) {
        log_.error("CMD_POSTCOPY_LISTEN in wrong postcopy state (%d)", static_cast<int>(ps));
        return -1;
      }
      return unsupported("Postcopy");
    }
    case MigCommand::kPostcopyRun:
      if (postcopy_ != PostcopyState::kListening) {
        log_.error("CMD_POSTCOPY_RUN in wrong postcopy state (%d)", static_cast<int>(postcopy_));
        return -1;
      }
      postcopy_ = PostcopyState::kRunning;
      return kLoadvmQuit;
    case MigCommand::kPostcopyRamDiscard:
      if (postcopy_ != PostcopyState::kAdvise && postcopy_ != PostcopyState::kDiscard) {
        log_.error("CMD_POSTCOPY_RAM_DISCARD in wrong postcopy state (%d)",
                   static_cast<int>(postcopy_));
        return -1;
      }
      return unsupported("Postcopy");
    case MigCommand::kPostcopyResume:
      // Not in postcopy-recover: 7.2 complains but goes on.
      log_.error("loadvm_postcopy_handle_resume: illegal resume received");
      return 0;
    case MigCommand::kRecvBitmap:
      return handle_recv_bitmap(f, len);
    case MigCommand::kEnableColo:
      return unsupported("COLO");
    default:
      break;
  }
  return 0;
}

int Loader::load_main(QemuFile& f) {
  int ret = 0;
  for (;;) {
    uint8_t type = f.get_byte();
    ret = f.error();
    if (ret) break;
    switch (static_cast<SectionType>(type)) {
      case SectionType::kStart:
      case SectionType::kFull:
        ret = start_full(f);
        break;
      case SectionType::kPart:
      case SectionType::kEnd:
        ret = part_end(f);
        break;
      case SectionType::kCommand:
        ret = process_command(f);
        if (ret == kLoadvmQuit) goto out;
        break;
      case SectionType::kEof:
        goto out;
      default:
        log_.error("Unknown savevm section type %d", type);
        ret = -EINVAL;
        break;
    }
    if (ret < 0) break;
  }
out:
  if (ret < 0) f.set_error(ret);
  return ret;
}

int Loader::run(QemuFile& f) {
  int ret = load_header(f);
  if (ret) return ret;
  ret = load_main(f);
  if (ret == 0) ret = f.error();
  if (ret == 0) {
    // 7.2 reads the vmdesc so that the source's last write never fails.
    uint8_t type = f.get_byte();
    if (type != static_cast<uint8_t>(SectionType::kVmdescription)) {
      log_.error("Expected vmdescription section, but got %d", type);
    } else {
      uint32_t size = f.get_be32();
      uint64_t got = f.skip(size);
      out_.vmdesc_received = got == size && !f.error();
    }
  }
  if (gs_->received) out_.runstate = gs_->state;
  out_.zero_pages = ram_.zero_pages();
  out_.normal_pages = ram_.normal_pages();
  out_.xbzrle_pages = ram_.xbzrle_pages();
  return ret;
}

}  // namespace

int load_stream_raw(QemuFile& f, LoadTarget& target, LoadOutcome* out, LoadLog* log) {
  Loader loader(target, *out, *log);
  return loader.run(f);
}

Result<LoadOutcome> load_stream(QemuFile& f, LoadTarget& target) {
  LoadOutcome out;
  LoadLog log;
  int ret = load_stream_raw(f, target, &out, &log);
  if (ret >= 0) {
    out.messages = std::move(log.lines);
    return out;
  }
  std::string desc;
  for (const std::string& l : log.lines) desc += l + "\n";
  desc += "load of migration failed: ";
  desc += std::strerror(-ret);
  return generic_error(std::move(desc));
}

std::string uuid_text(const Uuid& u) {
  char s[37];
  snprintf(s, sizeof s,
           "%02hhx%02hhx%02hhx%02hhx-%02hhx%02hhx-%02hhx%02hhx-%02hhx%02hhx-"
           "%02hhx%02hhx%02hhx%02hhx%02hhx%02hhx",
           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
           u[14], u[15]);
  return s;
}

}  // namespace migemu::migration
