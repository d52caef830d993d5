/* SPDX-License-Identifier: MIT */
/*
 * test_roles.c - a process's role in the summary by program
 * (process_role(), analysis/programs.h): from its title, its script or
 * module, git's command; none for a shell's -c commands.
 */
#include "analysis/programs.h"
#include "check.h"

/* The role of a process of exe run with the NULL-ended argv and title. */
static const char *role(const char *exe, const char *title, char **argv, char *buf)
{
    struct ws_process p = {.exe = (char *)exe, .title = (char *)title, .argv = argv};
    while (argv[p.argc])
        p.argc++;
    return process_role(&p, buf);
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})

int main(void)
{
    char b[ROLE_MAX];
    /* Titles: the words before the first that names a client or file. */
    CHECK_STR(role("/usr/lib/postgresql/15/bin/postgres", "postgres: checkpointer ",
                   ARGV("postgres", "-D", "/d"), b),
              "checkpointer");
    CHECK_STR(role("/usr/lib/postgresql/15/bin/postgres", "postgres: app shop [local] idle",
                   ARGV("postgres"), b),
              "app shop");
    CHECK_STR(role("/usr/lib/postgresql/15/bin/postgres",
                   "postgres: app shop 127.0.0.1(41234) SELECT", ARGV("postgres"), b),
              "app shop");
    CHECK_STR(role("/usr/sbin/nginx", "nginx: master process /usr/sbin/nginx -c /etc/n.conf",
                   ARGV("nginx"), b),
              "master process");
    CHECK_STR(role("/usr/sbin/nginx", "nginx: worker process", ARGV("nginx"), b), "worker process");
    CHECK_STR(role("/usr/sbin/sshd", "sshd: root@pts/0", ARGV("sshd"), b), "");
    CHECK_STR(role("/usr/bin/x", "no colon here", ARGV("x"), b), "");
    /* Interpreters and shells: the script or module. */
    CHECK_STR(
        role("/usr/bin/python3.11", NULL, ARGV("python3", "-u", "/srv/app/manage.py", "x"), b),
        "manage.py");
    CHECK_STR(role("/usr/bin/python3.11", NULL, ARGV("python3", "-m", "pytest", "-q"), b),
              "pytest");
    CHECK_STR(role("/usr/bin/python3.11", NULL, ARGV("python3", "-c", "print(1)"), b), "-c");
    CHECK_STR(role("/usr/bin/python3.11", NULL, ARGV("python3"), b), "");
    CHECK_STR(role("/usr/bin/node", NULL, ARGV("node", "server.js"), b), "server.js");
    CHECK_STR(role("/usr/bin/dash", NULL, ARGV("sh", "-c", "cc -c a.c"), b), "");
    CHECK_STR(role("/usr/bin/bash", NULL, ARGV("bash", "/root/.pyenv/libexec/pyenv", "exec"), b),
              "pyenv");
    /* Options that take a value are not the script. */
    CHECK_STR(role("/usr/bin/python3.11", NULL, ARGV("python3", "-X", "dev", "app.py"), b),
              "app.py");
    CHECK_STR(role("/usr/bin/node", NULL, ARGV("node", "-r", "dotenv/config", "s.js"), b), "s.js");
    CHECK_STR(role("/usr/bin/node", NULL, ARGV("node", "-e", "1+1"), b), "-e");
    CHECK_STR(role("/usr/bin/perl", NULL, ARGV("perl", "-I", "lib", "x.pl"), b), "x.pl");
    CHECK_STR(role("/usr/bin/dash", NULL, ARGV("sh", "-e", "/srv/run.sh"), b), "run.sh");
    CHECK_STR(role("/usr/bin/bash", NULL, ARGV("bash", "-o", "pipefail", "-c", "ls"), b), "");
    CHECK_STR(role("/usr/bin/python3.11", NULL, ARGV("python3", ""), b), "");
    /* git: its command, also when run as git-COMMAND. */
    CHECK_STR(role("/usr/bin/git", NULL, ARGV("git", "-C", "/src", "-c", "a=b", "log", "-p"), b),
              "log");
    CHECK_STR(role("/usr/bin/git", NULL, ARGV("git-upload-pack", "/src/.git"), b), "upload-pack");
    CHECK_STR(role("/usr/bin/git", NULL, ARGV("git"), b), "");
    /* Other programs have none; a long one is cut. */
    CHECK_STR(role("/usr/bin/cat", NULL, ARGV("cat", "Makefile"), b), "");
    CHECK_STR(role("/usr/bin/python3", NULL,
                   ARGV("python3", "a_script_with_a_name_much_longer_than_forty_bytes.py"), b),
              "a_script_with_a_name_much_longer_than_f");
    CHECK_DONE();
}
