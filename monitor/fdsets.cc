#include "monitor/fdsets.h"

namespace migemu {

Result<FdsetTable::Added> FdsetTable::add(Fd fd, std::optional<int64_t> fdset_id,
                                          std::optional<std::string> opaque) {
  auto target = sets_.end();
  if (fdset_id) {
    for (auto it = sets_.begin(); it != sets_.end(); ++it) {
      if (it->id == *fdset_id) {
        target = it;
        break;
      }
      if (it->id > *fdset_id) break;  // the list is ordered by id
    }
  }
  if (target == sets_.end()) {
    int64_t id;
    if (fdset_id) {
      if (*fdset_id < 0) {
        return generic_error("Parameter 'fdset-id' expects a non-negative value");
      }
      id = *fdset_id;
    } else {
      // The lowest id not in use at the front of the ordered list.
      id = 0;
      for (const auto& s : sets_) {
        if (s.id != id) break;
        id++;
      }
    }
    auto pos = sets_.begin();
    while (pos != sets_.end() && pos->id < id) ++pos;
    target = sets_.insert(pos, Fdset{id, {}});
  }
  int raw = fd.get();
  target->fds.push_front(FdsetFd{std::move(fd), std::move(opaque), false});
  return Added{target->id, raw};
}

Status FdsetTable::remove(int64_t fdset_id, std::optional<int64_t> fd) {
  for (auto it = sets_.begin(); it != sets_.end(); ++it) {
    if (it->id != fdset_id) continue;
    bool found = false;
    for (auto& f : it->fds) {
      if (fd) {
        if (f.fd.get() != *fd) continue;
        f.removed = true;
        found = true;
        break;
      }
      f.removed = true;
    }
    if (fd && !found) break;
    cleanup(it);
    return {};
  }
  std::string what = "fdset-id:" + std::to_string(fdset_id);
  if (fd) what += ", fd:" + std::to_string(*fd);
  return generic_error("File descriptor named '" + what + "' not found");
}

void FdsetTable::cleanup(std::list<Fdset>::iterator set) {
  bool running = vm_running && vm_running();
  int connected = monitors_connected ? monitors_connected() : 0;
  // Fds go away only while the VM runs: removed ones, or all of them once no
  // monitor is connected (nothing in migemu dups fdset fds).
  set->fds.remove_if([&](const FdsetFd& f) { return (f.removed || connected == 0) && running; });
  if (set->fds.empty()) sets_.erase(set);
}

void FdsetTable::cleanup_all() {
  for (auto it = sets_.begin(); it != sets_.end();) {
    auto next = std::next(it);
    cleanup(it);
    it = next;
  }
}

FdsetTable& fdsets() {
  static FdsetTable t;
  return t;
}

}  // namespace migemu
