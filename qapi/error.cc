#include "qapi/error.h"

namespace migemu {

const char* error_class_name(ErrorClass cls) {
  switch (cls) {
    case ErrorClass::GenericError:
      return "GenericError";
    case ErrorClass::CommandNotFound:
      return "CommandNotFound";
    case ErrorClass::DeviceNotActive:
      return "DeviceNotActive";
    case ErrorClass::DeviceNotFound:
      return "DeviceNotFound";
    case ErrorClass::KVMMissingCap:
      return "KVMMissingCap";
  }
  return "GenericError";
}

}  // namespace migemu
