#pragma once
// SIGINT/SIGTERM while a probe has trace tables in place: the handler only writes the signal
// number to a pipe (async-signal-safe) that the probe's poll loop watches; the probe then
// unwinds (RAII removes the tables) and re-raises the signal with the caller's disposition.
#include <csignal>
#include <memory>

#include "podnet/common/error.hpp"
#include "podnet/common/unique_fd.hpp"

namespace podnet::probe {

class InterruptWatch {
 public:
  // Installs the handlers; one watch at a time per process.
  static Result<std::unique_ptr<InterruptWatch>> install();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  int fd() const { return read_.get(); }  // readable once a signal arrived
  int signal() const;                     // the signal received, 0 if none
  // Restores the previous handlers and, if a signal arrived, raises it again.
  void finish();

 private:
  InterruptWatch() = default;
  UniqueFd read_, write_;
  struct sigaction old_int_ {
  }, old_term_{}, old_hup_{};
  bool installed_ = false;
};

}  // namespace podnet::probe
