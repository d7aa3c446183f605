// Where the unit tests find their data files (tests/data/): the build passes
// the source folder in; MIGEMU_TEST_DATA_DIR in the environment overrides it.
#pragma once

#include <cstdlib>
#include <string>

namespace migemu {

inline std::string data_path(const std::string& name) {
  if (const char* d = std::getenv("MIGEMU_TEST_DATA_DIR")) return std::string(d) + "/" + name;
  return std::string(MIGEMU_TEST_DATA_DIR) + "/" + name;
}

}  // namespace migemu
