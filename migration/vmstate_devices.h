// A small table-driven VMState (QEMU's device-state encoding, reference 5.6)
// and the two device states a QEMU 7.2 `-M none -nodefaults` machine
// migrates: "timer" (v2) and "globalstate" (v1).
//
// A VmStateDescription lists fields (name, wire type, size, first version)
// and optional subsections. The same table drives encoding (vmstate_save),
// decoding with QEMU 7.2's checks and error texts (vmstate_load), and the
// device's entry in the vmdesc JSON (VmdescWriter).
//
// Adding a device: define a struct for its state, a VmStateDescription whose
// fields are built with vms_field<&Struct::member>("name") (the wire type is
// derived from the member type: int8..uint64, bool, std::array<uint8_t,N> =
// "buffer") or vms_unused(n) / vms_timer<&S::m>(), and register it as a
// DeviceEntry (savevm.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "migration/qemu_file.h"
#include "qapi/qapi-types.h"

namespace migemu::migration {

// Lines a 7.2 destination prints on stderr while loading, in order, without
// the "qemu-system-x86_64: " prefix that error_report adds. Warnings carry
// "warning: " as warn_report prints them.
struct LoadLog {
  std::vector<std::string> lines;
  void error(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void warn(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
};

// Builds QEMU's vmdesc JSON the way its JSONWriter (non-pretty) does: keys in
// call order, ", " and ": " separators, QEMU's string escaping.
class VmdescWriter {
 public:
  void start_object(const char* name = nullptr);
  void end_object();
  void start_array(const char* name = nullptr);
  void end_array();
  void str(const char* name, std::string_view value);
  void int64(const char* name, int64_t value);
  const std::string& json() const { return out_; }

 private:
  void comma_name(const char* name);
  std::string out_;
  std::vector<bool> is_array_;
  bool need_comma_ = false;
};

enum class VmsType {
  kBool,
  kInt8,
  kUint8,
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kInt64,
  kUint64,
  kBuffer,        // raw bytes, size = array size
  kUnusedBuffer,  // zeros on save, skipped on load
  kTimer,         // be64 expiry in ns, -1 when not armed (int64_t member)
};
// The type name QEMU puts in the vmdesc ("int64", "unused_buffer", ...).
const char* vms_type_name(VmsType t);

struct VmStateField {
  const char* name = nullptr;
  VmsType type = VmsType::kUint8;
  size_t size = 0;     // bytes on the wire
  int version_id = 0;  // present when version_id <= the section's version
  // Address of the field inside the device state (null for unused buffers).
  void* (*locate)(void* opaque) = nullptr;
};

struct VmStateDescription {
  const char* name = nullptr;
  int version_id = 0;
  int minimum_version_id = 0;
  std::vector<VmStateField> fields{};
  std::vector<const VmStateDescription*> subsections{};
  bool (*needed)(void* opaque) = nullptr;  // null: always sent
  int (*pre_save)(void* opaque) = nullptr;
  // Returns 0 or -errno; reports its own error lines.
  int (*post_load)(void* opaque, int version_id, LoadLog& log) = nullptr;
};

namespace detail {
template <typename T>
struct MemberOf;
template <typename C, typename M>
struct MemberOf<M C::*> {
  using Class = C;
  using Type = M;
};
template <typename M>
constexpr VmsType type_of() {
  if constexpr (std::is_same_v<M, bool>)
    return VmsType::kBool;
  else if constexpr (std::is_same_v<M, int8_t>)
    return VmsType::kInt8;
  else if constexpr (std::is_same_v<M, uint8_t>)
    return VmsType::kUint8;
  else if constexpr (std::is_same_v<M, int16_t>)
    return VmsType::kInt16;
  else if constexpr (std::is_same_v<M, uint16_t>)
    return VmsType::kUint16;
  else if constexpr (std::is_same_v<M, int32_t>)
    return VmsType::kInt32;
  else if constexpr (std::is_same_v<M, uint32_t>)
    return VmsType::kUint32;
  else if constexpr (std::is_same_v<M, int64_t>)
    return VmsType::kInt64;
  else if constexpr (std::is_same_v<M, uint64_t>)
    return VmsType::kUint64;
  else
    return VmsType::kBuffer;
}
template <typename M>
struct IsByteArray : std::false_type {};
template <size_t N>
struct IsByteArray<std::array<uint8_t, N>> : std::true_type {};
template <auto Member>
void* locate(void* opaque) {
  using C = typename MemberOf<decltype(Member)>::Class;
  return &(static_cast<C*>(opaque)->*Member);
}
}  // namespace detail

// A field stored in `Member` (an integer, bool or std::array<uint8_t, N>).
template <auto Member>
VmStateField vms_field(const char* name, int version_id = 0) {
  using M = typename detail::MemberOf<decltype(Member)>::Type;
  static_assert(std::is_integral_v<M> || detail::IsByteArray<M>::value, "unsupported field type");
  return VmStateField{name, detail::type_of<M>(), sizeof(M), version_id, &detail::locate<Member>};
}
// A timer field (int64_t member holding the expiry, -1 = not armed).
template <auto Member>
VmStateField vms_timer(const char* name, int version_id = 0) {
  using M = typename detail::MemberOf<decltype(Member)>::Type;
  static_assert(std::is_same_v<M, int64_t>);
  return VmStateField{name, VmsType::kTimer, 8, version_id, &detail::locate<Member>};
}
// VMSTATE_UNUSED(n): n zero bytes, named "unused".
inline VmStateField vms_unused(size_t n, int version_id = 0) {
  return VmStateField{"unused", VmsType::kUnusedBuffer, n, version_id, nullptr};
}

// Writes the fields (as of vmsd.version_id) and needed subsections. When
// vmdesc is set, adds "vmsd_name", "version", "fields" [, "subsections"] to
// the object the caller opened. Returns 0 or -errno.
int vmstate_save(QemuFile& f, const VmStateDescription& vmsd, void* opaque, VmdescWriter* vmdesc);
// Reads a body of version `version_id` as 7.2's vmstate_load_state does
// (version checks, fields, subsections by peeking, post_load). Returns 0 or
// -errno with the lines 7.2 prints appended to `log`.
int vmstate_load(QemuFile& f, const VmStateDescription& vmsd, void* opaque, int version_id,
                 LoadLog& log);

// ------------------------------------------------------------------ timer
// softmmu/cpu-timers.c "timer": v2, minimum v1. The icount subsections are
// only sent by a source running -icount (never by migemu), but are accepted.
struct TimerState {
  int64_t cpu_ticks_offset = 0;
  int64_t cpu_clock_offset = 0;  // from v2
  // timer/icount and its subsections (received only).
  int64_t qemu_icount_bias = 0;
  int64_t qemu_icount = 0;
  int64_t vm_clock_warp_start = 0;
  int64_t icount_warp_timer = -1;
  int64_t icount_rt_timer = -1;
  int64_t icount_vm_timer = -1;
  int16_t icount_time_shift = 0;
  int64_t last_delta = 0;
  bool icount_received = false;
};
extern const VmStateDescription kTimerVmsd;

// ------------------------------------------------------------ globalstate
// migration/global_state.c "globalstate" v1: be32 size, 100-byte run state
// name. One instance per process: like QEMU's, the buffer is not cleared
// between migrations (a shorter name leaves the tail of a longer one after
// its NUL), and a loaded buffer stays until the next store.
struct GlobalState {
  uint32_t size = 0;
  std::array<uint8_t, 100> runstate{};
  // Set by a successful load.
  bool received = false;
  qapi::RunState state = qapi::RunState::kRunning;
  // migration.store-global-state (default on): when off, the section is only
  // sent for states other than running/paused.
  bool store_global_state = true;

  // global_state_store(): copies the name and its NUL over the buffer.
  void store(qapi::RunState s);
  // global_state_store_running(): "running" padded with zeros.
  void store_running();
  // The NUL-terminated name in the buffer.
  std::string name() const;
};
extern const VmStateDescription kGlobalStateVmsd;

}  // namespace migemu::migration
