// run_in's result type mapping, checked at compile time (running it needs root: see integration).
#include "podnet/sys/netns.hpp"

#include <gtest/gtest.h>

using podnet::Result;
using podnet::sys::detail::as_result;

static_assert(std::is_same_v<as_result<void>::type, Result<>>);
static_assert(std::is_same_v<as_result<int>::type, Result<int>>);
static_assert(std::is_same_v<as_result<Result<int>>::type, Result<int>>);
static_assert(std::is_same_v<as_result<Result<>>::type, Result<>>);

TEST(RunInTypes, Compiles) {
  SUCCEED();
}
