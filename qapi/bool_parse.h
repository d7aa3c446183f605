// qapi_bool_parse(): the words QEMU takes for a boolean in text (option
// values, -device key=value settings, HMP qom-set), nullopt for others.
#pragma once

#include <optional>
#include <string_view>

namespace migemu {

inline std::optional<bool> qapi_bool_parse(std::string_view s) {
  if (s == "on" || s == "yes" || s == "true" || s == "y") return true;
  if (s == "off" || s == "no" || s == "false" || s == "n") return false;
  return std::nullopt;
}

}  // namespace migemu
