// libs/base: vocabulary types shared by every library (Result, Error, the Asio spelling).
#include "base/result.hpp"
