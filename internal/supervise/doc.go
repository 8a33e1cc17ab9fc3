// Package supervise is a child process's life: the --watch supervisor
// (start in its own process group, forward signals, reap every child
// re-parented to secretenv, stop with a signal and a timeout, restart in a
// new environment), signal names, and handing the terminal to a child and
// back (the editor of edit). It knows nothing of secrets and imports no
// AWS: what to run, what to say about a restart and how to describe a
// failure to start come from the caller.
package supervise
