// File-descriptor sets (add-fd / remove-fd / query-fdsets), kept in fdset-id
// order with QEMU 7.2's id allocation and clean-up rules (monitor/misc.c).
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>

#include "qapi/error.h"
#include "util/glib_ptr.h"

namespace migemu {

struct FdsetFd {
  Fd fd;
  std::optional<std::string> opaque;
  bool removed = false;
};

struct Fdset {
  int64_t id = 0;
  std::list<FdsetFd> fds;  // newest first, as QEMU's list insert-at-head
};

class FdsetTable {
 public:
  struct Added {
    int64_t fdset_id;
    int fd;
  };
  Result<Added> add(Fd fd, std::optional<int64_t> fdset_id, std::optional<std::string> opaque);
  Status remove(int64_t fdset_id, std::optional<int64_t> fd);
  const std::list<Fdset>& sets() const { return sets_; }
  // monitor_fdsets_cleanup: run when a monitor disconnects.
  void cleanup_all();

  // Inputs to the clean-up rule; set by the owner.
  bool (*vm_running)() = nullptr;
  int (*monitors_connected)() = nullptr;

 private:
  void cleanup(std::list<Fdset>::iterator set);
  std::list<Fdset> sets_;
};

FdsetTable& fdsets();

}  // namespace migemu
