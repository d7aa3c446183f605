#include "util/hash_order.h"

#include "util/glib_ptr.h"

namespace migemu {

std::vector<std::string> ghash_iteration_order(const std::vector<std::string>& names) {
  GHashTablePtr table(g_hash_table_new(g_str_hash, g_str_equal));
  for (const std::string& n : names) {
    g_hash_table_insert(table.get(), const_cast<char*>(n.c_str()), const_cast<char*>(n.c_str()));
  }
  std::vector<std::string> out;
  GHashTableIter it;
  gpointer key, value;
  g_hash_table_iter_init(&it, table.get());
  while (g_hash_table_iter_next(&it, &key, &value)) out.emplace_back(static_cast<char*>(key));
  return out;
}

}  // namespace migemu
