// The order in which QEMU walks a QOM object's children or properties: they
// live in a GLib string hash table, so filling a GLib table with the same
// names in the same order and iterating it reproduces QEMU's order exactly.
#pragma once

#include <string>
#include <vector>

namespace migemu {

// `names` in insertion order -> the order g_hash_table_iter visits them.
std::vector<std::string> ghash_iteration_order(const std::vector<std::string>& names);

}  // namespace migemu
