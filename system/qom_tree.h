// The QOM composition tree's shared entry point for HMP: qom-set on a path,
// with a value from QMP or HMP's text (system/qom_registry.h, QomSetValue).
// The QMP handlers themselves are declared by the generated code.
#pragma once

#include <string>

#include "qapi/error.h"
#include "system/qom_registry.h"

namespace migemu::qapi {

Status qom_set(const std::string& path, const std::string& property, const QomSetValue& value);

}  // namespace migemu::qapi
