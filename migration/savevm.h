// QEMU 7.2's savevm stream framing (reference 5.2-5.4, 5.10): file header
// and configuration section, commands, START/PART/END/FULL sections with
// footers, EOF and the vmdesc JSON; and the whole-stream loader with 7.2's
// checks and error texts.
//
// Source side, in order (see ram_codec.h for the RAM part):
//   SaveConfig cfg;                       // machine "none", no subsections
//   save_header(f, cfg);
//   [save_open_return_path(f); save_ping(f, 1);]   // only with a return path
//   RamSender ram; ram.write_setup_section(f, blocks);
//   ... PART sections, END section ...
//   TimerState timer{...}; GlobalState& gs = ...; gs.store(RunState::kRunning);
//   save_device_state(f, none_machine_devices(timer, gs));  // FULLs, EOF, vmdesc
//   f.flush();
//
// Destination side:
//   LoadTarget t; t.ram_blocks = {...}; t.global_state = &gs;
//   t.open_return_path = [&] { ...; return true; };
//   t.send_pong = [&](uint32_t v) { write_rp_pong(*rp, v); };
//   Result<LoadOutcome> r = load_stream(*f, t);
//   if (!r) { for each line of r.error().desc: print "qemu-system-x86_64: " + line; exit(1); }
//   else apply r->runstate (nullopt: no globalstate received), print r->messages.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "migration/qemu_file.h"
#include "migration/ram_codec.h"
#include "migration/vmstate_devices.h"
#include "qapi/error.h"
#include "qapi/qapi-types.h"

namespace migemu::migration {

inline constexpr uint32_t kFileMagic = 0x5145564d;  // "QEVM"
inline constexpr uint32_t kFileVersion = 3;
inline constexpr uint32_t kFileVersionCompat = 2;

enum class SectionType : uint8_t {
  kEof = 0x00,
  kStart = 0x01,
  kPart = 0x02,
  kEnd = 0x03,
  kFull = 0x04,
  kSubsection = 0x05,
  kVmdescription = 0x06,
  kConfiguration = 0x07,
  kCommand = 0x08,
  kFooter = 0x7e,
};

enum class MigCommand : uint16_t {
  kInvalid = 0,
  kOpenReturnPath = 1,
  kPing = 2,
  kPostcopyAdvise = 3,
  kPostcopyListen = 4,
  kPostcopyRun = 5,
  kPostcopyRamDiscard = 6,
  kPackaged = 7,
  kEnableColo = 8,
  kPostcopyResume = 9,
  kRecvBitmap = 10,
  kMax = 11,  // 7.2 rejects this and above
};

// A handler as registered in QEMU's savevm list. section_id is the
// registration index; 7.2 `-M none -nodefaults` registers timer (0),
// block (1, inactive), ram (2), dirty-bitmap (3, inactive), globalstate (4).
struct SectionInfo {
  std::string idstr;
  uint32_t instance_id = 0;
  uint32_t version_id = 0;
  uint32_t section_id = 0;
};
inline const SectionInfo kTimerSection{"timer", 0, 2, 0};
inline const SectionInfo kRamSection{"ram", 0, 4, 2};
inline const SectionInfo kGlobalStateSection{"globalstate", 0, 1, 4};

using Uuid = std::array<uint8_t, 16>;
// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case, as QEMU prints UUIDs.
std::string uuid_text(const Uuid& u);

// The 21 MigrationCapability names of 7.2, in enum order (the configuration
// section's capability list may name any of them).
extern const char* const kMigrationCapabilityNames[21];

struct SaveConfig {
  std::string machine_name = "none";
  // capability x-ignore-shared: adds the configuration/capabilities subsection.
  bool x_ignore_shared = false;
  // Set only when validate-uuid is on and the VM has a -uuid: adds
  // configuration/uuid.
  std::optional<Uuid> uuid;
  bool send_configuration = true;   // migration.send-configuration
  bool send_section_footer = true;  // migration.send-section-footer
};

// "QEVM", version 3, [configuration section].
void save_header(QemuFile& f, const SaveConfig& cfg);
// QEMU_VM_COMMAND: be16 cmd, be16 length, payload.
void save_command(QemuFile& f, MigCommand cmd, std::span<const uint8_t> payload = {});
void save_open_return_path(QemuFile& f);
void save_ping(QemuFile& f, uint32_t value);
// Section header (START/FULL carry idstr, instance, version) and footer.
void save_section_header(QemuFile& f, SectionType type, const SectionInfo& s);
void save_section_footer(QemuFile& f, const SectionInfo& s);

// A non-iterative device: its section and vmstate.
struct DeviceEntry {
  SectionInfo section;
  const VmStateDescription* vmsd = nullptr;
  void* opaque = nullptr;
};
// timer and globalstate with 7.2's section ids, in 7.2's order.
std::vector<DeviceEntry> none_machine_devices(TimerState& timer, GlobalState& gs);

struct DeviceSaveOptions {
  bool send_vmdesc = true;  // false in postcopy (7.2 then also omits EOF)
  bool send_section_footer = true;
  uint64_t page_size = kTargetPageSize;
};
// A FULL section per needed device, EOF, then VMDESCRIPTION (be32 length +
// JSON exactly as 7.2 builds it). Does not flush. Returns f.error() or the
// device's pre_save error. `vmdesc_out`, if set, receives the JSON.
int save_device_state(QemuFile& f, std::span<const DeviceEntry> devices,
                      const DeviceSaveOptions& opt = {}, std::string* vmdesc_out = nullptr);

// ------------------------------------------------------------------ loading

// What the destination is, and how to reach its return path.
struct LoadTarget {
  std::string machine_name = "none";
  std::vector<RamBlockView> ram_blocks;
  TimerState* timer = nullptr;          // null: received values are dropped
  GlobalState* global_state = nullptr;  // null: a scratch instance is used
  // Destination capabilities and hidden properties.
  bool x_ignore_shared = false;
  bool postcopy_ram = false;
  bool compress = false;
  bool send_configuration = true;   // expect the configuration section
  bool send_section_footer = true;  // expect footers
  std::optional<Uuid> local_uuid;   // -uuid, if given
  // OPEN_RETURN_PATH: open the reverse direction; false makes 7.2's
  // "CMD_OPEN_RETURN_PATH failed". Null: always fails.
  std::function<bool()> open_return_path;
  // PING on an open return path: send PONG(value).
  std::function<void(uint32_t)> send_pong;
  // Called at every RAM EOS (multifd_recv_sync_main). Returns 0 or -errno.
  std::function<int()> ram_eos_sync;
};

struct LoadOutcome {
  // The run state from globalstate; nullopt when none was received (then a
  // 7.2 destination follows its own autostart).
  std::optional<qapi::RunState> runstate;
  bool return_path_opened = false;
  bool vmdesc_received = false;
  // Lines 7.2 prints even though the load succeeded (warnings, "Expected
  // vmdescription section, but got N").
  std::vector<std::string> messages;
  bool timer_received = false;
  uint64_t zero_pages = 0;
  uint64_t normal_pages = 0;
  uint64_t xbzrle_pages = 0;
};

// Reads a whole stream as 7.2's qemu_loadvm_state: header, configuration,
// records until EOF, then the vmdesc byte and body (skipped in bounded
// chunks). On failure the Error's desc holds every line 7.2 prints, one per
// '\n'-separated line, the last being "load of migration failed: <strerror>".
Result<LoadOutcome> load_stream(QemuFile& f, LoadTarget& target);
// The same, returning 7.2's result code (0 or -errno) and the raw lines.
int load_stream_raw(QemuFile& f, LoadTarget& target, LoadOutcome* out, LoadLog* log);

}  // namespace migemu::migration
