// The store contract against the sqlite backend (a fresh database file per test).
#include "contract/store_contract.hpp"
#include "temp_dir.hpp"

namespace podnet::store::testing {
namespace {

class SqliteBackend : public Backend {
 public:
  std::string url() const override { return "sqlite://" + dir_.path() + "/store.db"; }

 private:
  TempDir dir_{"sq"};
};

INSTANTIATE_TEST_SUITE_P(
    Sqlite, StoreContract,
    ::testing::Values(BackendFactory{"sqlite", [](std::string*) -> std::unique_ptr<Backend> {
                                       return std::make_unique<SqliteBackend>();
                                     }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace podnet::store::testing
