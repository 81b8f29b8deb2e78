// Start a task for run-partition from a vfork child, as glibc's posix_spawn does. Node's
// child_process forks the whole Node process, copying its page tables (tens of MiB of mappings) for
// every task; vfork copies nothing, so a task starts as cheaply as from xargs. Measured here, 2 at a
// time: fork from a 55 MiB process 1.6-2.8 ms per task, posix_spawn/vfork 0.4-0.5.
// posix_spawn cannot set the parent-death signal, so the child is ours: before exec it sets
// PR_SET_PDEATHSIG (SIGKILL), so that a task never outlives a run-partition killed with SIGKILL.
//
// spawn(file, argv, envp, cwd | null, callback) calls back (error, [pid, stdoutFd, stderrFd]); the
// task gets /dev/null as stdin, pipes as stdout and stderr, its own process group, an empty signal
// mask and every signal at its default action (Node ignores SIGPIPE, and ignored signals survive
// exec). The error says why the task cannot start (a missing shell or directory).
// chdir: always true (the child changes directory itself; kept for older callers).
// reap(pid) -> null while the task runs, else [exitCode | null, signalNumber | 0]; never blocks.
// drain(fd): see below.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "fast_spawn: N-API call failed");     \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

// NULL when v is not a string or memory ran out; the caller throws.
static char *get_string(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  if (napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

static void free_strings(char **s);

// A NULL-terminated copy of an array of strings, or NULL (nothing leaked) if any item is not one.
static char **get_strings(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    if (napi_get_element(env, arr, i, &item) != napi_ok || !(out[i] = get_string(env, item))) {
      free_strings(out);
      return NULL;
    }
  }
  return out;
}

static void free_strings(char **s) {
  for (char **p = s; p && *p; p++) free(*p);
  free(s);
}

// One spawn request. posix_spawn blocks its caller until the child has exec'd (CLONE_VFORK), so it
// runs on libuv's thread pool, never on the JavaScript thread.
typedef struct {
  char *file, *cwd;
  char *cgroup_procs;  // a cgroup.procs the child joins before exec (all it starts stays there), or NULL
  char **argv, **envp;
  int rc;  // errno of the failure, or 0
  pid_t pid;
  int out, err;
  napi_async_work work;
  napi_ref callback;
} request;

// The vfork child: only async-signal-safe calls, nothing written but its own stack and *fail (the
// parent is suspended until exec or _exit; memory is shared, so the errno reaches it there).
static void exec_child(request *r, int out, int err, pid_t parent, volatile int *fail) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);  // EINVAL for SIGKILL/SIGSTOP: fine
  if (setpgid(0, 0) != 0) goto failed;
#ifdef __linux__
  // SIGKILL when the thread that spawned us (a libuv pool thread, which lives as long as
  // run-partition) dies; if run-partition died before this line, go at once.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) goto failed;
  if (getppid() != parent) _exit(127);
  if (r->cgroup_procs) {
    // Best effort: a task that cannot join runs as before (leftovers.ts still finds what it can).
    int cg = open(r->cgroup_procs, O_WRONLY | O_CLOEXEC);
    if (cg >= 0) {
      ssize_t ignored = write(cg, "0", 1);
      (void)ignored;
      close(cg);
    }
  }
#endif
  int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) goto failed;
  if (in > 2) close(in);
  if (r->cwd && chdir(r->cwd) != 0) goto failed;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  // A bare name is searched in run-partition's PATH, as posix_spawnp did (native-launcher.ts
  // resolves it in the task's own PATH first).
  if (strchr(r->file, '/')) execve(r->file, r->argv, r->envp);
  else execvpe(r->file, r->argv, r->envp);
failed:
  *fail = errno ? errno : EINVAL;
  _exit(127);
}

static void run_spawn(napi_env env, void *data) {
  (void)env;
  request *r = data;
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  r->rc = 0;
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) r->rc = errno;
  if (r->rc == 0) {
    // Signals stay blocked from here to the child's exec: no handler of Node's may run in a child
    // that shares its memory.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    volatile int fail = 0;
    pid_t parent = getpid();
    pid_t pid = vfork();
    if (pid == 0) exec_child(r, out[1], err[1], parent, &fail);
    if (pid < 0) r->rc = errno;
    else if (fail) {
      r->rc = fail;
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    } else r->pid = pid;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  }
  if (out[1] >= 0) close(out[1]);
  if (err[1] >= 0) close(err[1]);
  if (r->rc != 0) {
    if (out[0] >= 0) close(out[0]);
    if (err[0] >= 0) close(err[0]);
  }
  // Non-blocking read ends: drain() may read what a finished task left without waiting.
  if (r->rc == 0) {
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
  }
  r->out = out[0];
  r->err = err[0];
}

static napi_value errno_error(napi_env env, int err, const char *what) {
  napi_value msg, error;
  char text[512];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_value number;  // error.errno: run-partition retries EMFILE, EAGAIN, ENOMEM later
  if (napi_create_int32(env, err, &number) == napi_ok) napi_set_named_property(env, error, "errno", number);
  return error;
}

static void free_request(request *r) {
  free(r->file);
  free(r->cwd);
  free(r->cgroup_procs);
  free_strings(r->argv);
  free_strings(r->envp);
  free(r);
}

static void spawn_done(napi_env env, napi_status status, void *data) {
  request *r = data;
  napi_value callback, global, argv[2], v;
  napi_get_reference_value(env, r->callback, &callback);
  napi_get_global(env, &global);
  if (status != napi_ok) r->rc = ECANCELED;
  if (r->rc != 0) {
    argv[0] = errno_error(env, r->rc, "spawn");
    napi_get_undefined(env, &argv[1]);
  } else {
    napi_get_null(env, &argv[0]);
    napi_create_array_with_length(env, 3, &argv[1]);
    int values[3] = {r->pid, r->out, r->err};
    for (uint32_t i = 0; i < 3; i++) {
      napi_create_int32(env, values[i], &v);
      napi_set_element(env, argv[1], i, v);
    }
  }
  napi_call_function(env, global, callback, 2, argv, NULL);
  napi_delete_reference(env, r->callback);
  napi_delete_async_work(env, r->work);
  free_request(r);
}

// spawn(file, argv, envp, cwd | null, callback(error | null, [pid, stdoutFd, stderrFd])[, cgroupProcs])
static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6], name;
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "fast_spawn: spawn(file, argv, envp, cwd, callback)");
    return NULL;
  }
  napi_valuetype cwd_type;
  CHECK(napi_typeof(env, args[3], &cwd_type));
  napi_valuetype cg_type = napi_undefined;
  if (argc >= 6) CHECK(napi_typeof(env, args[5], &cg_type));
  request *r = calloc(1, sizeof(request));
  if (!r) {
    napi_throw_error(env, NULL, "fast_spawn: out of memory");
    return NULL;
  }
  r->file = get_string(env, args[0]);
  r->argv = get_strings(env, args[1]);
  r->envp = get_strings(env, args[2]);
  r->cwd = cwd_type == napi_string ? get_string(env, args[3]) : NULL;
  r->cgroup_procs = cg_type == napi_string ? get_string(env, args[5]) : NULL;
  if (!r->file || !r->argv || !r->envp || (cwd_type == napi_string && !r->cwd) ||
      (cg_type == napi_string && !r->cgroup_procs)) {
    free_request(r);
    napi_throw_type_error(env, NULL, "fast_spawn: file, argv and envp must be strings (or out of memory)");
    return NULL;
  }
  if (napi_create_reference(env, args[4], 1, &r->callback) != napi_ok) {
    free_request(r);
    napi_throw_error(env, NULL, "fast_spawn: N-API call failed");
    return NULL;
  }
  if (napi_create_string_utf8(env, "batchplan:spawn", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, run_spawn, spawn_done, r, &r->work) != napi_ok) {
    napi_delete_reference(env, r->callback);
    free_request(r);
    napi_throw_error(env, NULL, "fast_spawn: N-API call failed");
    return NULL;
  }
  if (napi_queue_async_work(env, r->work) != napi_ok) {
    napi_delete_async_work(env, r->work);
    napi_delete_reference(env, r->callback);
    free_request(r);
    napi_throw_error(env, NULL, "fast_spawn: N-API call failed");
    return NULL;
  }
  return NULL;
}

// drain(fd) -> [Buffer, eof]: what the pipe holds now, without waiting; eof once its writers are all
// gone, and then the fd is closed. run-partition reads a short task's output this way at its exit,
// with no stream set up at all.
static napi_value Drain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result, buffer, eof;
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  CHECK(napi_get_value_int32(env, arg, &fd));
  size_t size = 0, cap = 0;
  char *data = NULL;
  int at_eof = 0;
  for (;;) {
    if (size >= (4u << 20)) break;  // a writer that keeps going: the caller streams the rest
    if (cap - size < 65536) {
      char *bigger = realloc(data, cap + 65536);
      if (!bigger) break;
      data = bigger;
      cap += 65536;
    }
    ssize_t n = read(fd, data + size, cap - size);
    if (n > 0) size += (size_t)n;
    else if (n == 0) {
      at_eof = 1;
      break;
    } else if (errno != EINTR) break;  // EAGAIN: nothing more for now
  }
  if (at_eof) close(fd);
  void *copy;
  napi_status made = napi_create_buffer_copy(env, size, size ? data : "", &copy, &buffer);
  free(data);
  CHECK(made);
  CHECK(napi_get_boolean(env, at_eof, &eof));
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_set_element(env, result, 0, buffer));
  CHECK(napi_set_element(env, result, 1, eof));
  return result;
}

static napi_value Reap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result, code, sig;
  int32_t pid;
  CHECK(napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  CHECK(napi_get_value_int32(env, arg, &pid));
  int status;
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  if (r < 0) {
    napi_throw(env, errno_error(env, errno, "waitpid"));
    return NULL;
  }
  CHECK(napi_create_array_with_length(env, 2, &result));
  if (WIFEXITED(status)) CHECK(napi_create_int32(env, WEXITSTATUS(status), &code));
  else CHECK(napi_get_null(env, &code));
  CHECK(napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0, &sig));
  CHECK(napi_set_element(env, result, 0, code));
  CHECK(napi_set_element(env, result, 1, sig));
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, Spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "reap", NAPI_AUTO_LENGTH, Reap, NULL, &fn);
  napi_set_named_property(env, exports, "reap", fn);
  napi_create_function(env, "drain", NAPI_AUTO_LENGTH, Drain, NULL, &fn);
  napi_set_named_property(env, exports, "drain", fn);
  napi_value chdir_supported;
  napi_get_boolean(env, 1, &chdir_supported);
  napi_set_named_property(env, exports, "chdir", chdir_supported);
  return exports;
}
