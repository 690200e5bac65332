// podnetctl completion bash: the completion script of the command tree as built at this run.
#include <iostream>

#include "commands.hpp"
#include "core/completion.hpp"
#include "podnet/lab/plan.hpp"

namespace podnet::ctl {

void add_completion_commands(CLI::App& app, Context&) {
  auto* completion = app.add_subcommand("completion", "print a shell completion script");
  completion->require_subcommand(1);
  completion
      ->add_subcommand("bash",
                       "bash completion: source <(podnetctl completion bash), or save it in "
                       "/etc/bash_completion.d/podnetctl")
      ->callback([&app] {
        // The callback runs after parsing, when every group has added its commands.
        std::cout << bash_script(completion_tree(app, lab::default_base_dir), "podnetctl");
      });
}

}  // namespace podnet::ctl
