// Start a task with posix_spawn, for run-partition. Node's child_process forks the whole Node process,
// copying its page tables (tens of MiB of mappings) for every task; glibc's posix_spawn uses
// clone(CLONE_VM | CLONE_VFORK), which copies nothing, so a task starts as cheaply as from xargs.
// Measured here, 2 at a time: fork from a 55 MiB process 1.6-2.8 ms per task, posix_spawn 0.4-0.5.
//
// spawn(file, argv, envp, cwd | null, callback) calls back (error, [pid, stdoutFd, stderrFd]); the
// task gets /dev/null as stdin, pipes as stdout and stderr, its own process group, an empty signal
// mask and every signal at its default action (Node ignores SIGPIPE, and ignored signals survive
// exec). The error says why the task cannot start (a missing shell or directory).
// chdir: whether spawn can honour cwd (see HAVE_ADDCHDIR).
// reap(pid) -> null while the task runs, else [exitCode | null, signalNumber | 0]; never blocks.
// drain(fd): see below.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

// posix_spawn_file_actions_addchdir_np came with glibc 2.29 (RHEL 8 has 2.28). Without it the
// module says so (`chdir: false`) and run-partition starts tasks that set a cwd with Node's spawn.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define HAVE_ADDCHDIR 1
#else
#define HAVE_ADDCHDIR 0
#endif

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "fast_spawn: N-API call failed");     \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

static char *get_string(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static char **get_strings(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; out && i < n; i++) {
    napi_value item;
    napi_get_element(env, arr, i, &item);
    out[i] = get_string(env, item);
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
  char **argv, **envp;
  int rc;  // errno of the failure, or 0
  pid_t pid;
  int out, err;
  napi_async_work work;
  napi_ref callback;
} request;

static void run_spawn(napi_env env, void *data) {
  (void)env;
  request *r = data;
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  r->rc = 0;
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) r->rc = errno;
  if (r->rc == 0) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
#if HAVE_ADDCHDIR
    if (r->cwd) posix_spawn_file_actions_addchdir_np(&fa, r->cwd);
#endif
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    r->rc = posix_spawnp(&r->pid, r->file, &fa, &at, r->argv, r->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
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
  return error;
}

static void spawn_done(napi_env env, napi_status status, void *data) {
  request *r = data;
  napi_value callback, global, argv[2], v;
  napi_get_reference_value(env, r->callback, &callback);
  napi_get_global(env, &global);
  if (status != napi_ok) r->rc = ECANCELED;
  if (r->rc != 0) {
    argv[0] = errno_error(env, r->rc, "posix_spawn");
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
  free(r->file);
  free(r->cwd);
  free_strings(r->argv);
  free_strings(r->envp);
  free(r);
}

// spawn(file, argv, envp, cwd | null, callback(error | null, [pid, stdoutFd, stderrFd]))
static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5], name;
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  napi_valuetype cwd_type;
  CHECK(napi_typeof(env, args[3], &cwd_type));
  request *r = calloc(1, sizeof(request));
  if (!r) {
    napi_throw_error(env, NULL, "fast_spawn: out of memory");
    return NULL;
  }
  r->file = get_string(env, args[0]);
  r->argv = get_strings(env, args[1]);
  r->envp = get_strings(env, args[2]);
  r->cwd = cwd_type == napi_string ? get_string(env, args[3]) : NULL;
  CHECK(napi_create_reference(env, args[4], 1, &r->callback));
  CHECK(napi_create_string_utf8(env, "batchplan:spawn", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, run_spawn, spawn_done, r, &r->work));
  CHECK(napi_queue_async_work(env, r->work));
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
  CHECK(napi_create_buffer_copy(env, size, size ? data : "", &copy, &buffer));
  free(data);
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
  napi_get_boolean(env, HAVE_ADDCHDIR, &chdir_supported);
  napi_set_named_property(env, exports, "chdir", chdir_supported);
  return exports;
}
