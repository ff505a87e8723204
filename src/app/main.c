/* main.c: the switchboard binary: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "app/app.h"

static const struct {
    const char *name, *help;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"serve", "serve the HTTP API (see switchboard serve --help)", sb_app_serve},
    {"tenant", "create a tenant and its first administrator, or list them", sb_app_tenant},
    {"demo", "run a scripted routing scenario over the core and print it", sb_app_demo},
    {"simulate", "simulate a scenario: service level, ASA, abandonment, occupancy", sb_app_simulate},
    {"staff", "agents needed per interval (Erlang C and A), checked by simulation", sb_app_staff},
};

static int usage(FILE *f) {
    fprintf(f, "usage: switchboard COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    return f == stderr ? 2 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
        return usage(stdout);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "switchboard: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
