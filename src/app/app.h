/* app.h: the subcommands of the switchboard binary. */
#ifndef SB_APP_APP_H
#define SB_APP_APP_H

/* `switchboard demo`: a scripted routing scenario printed as it happens. */
int sb_app_demo(int argc, char **argv);

/* `switchboard simulate SCENARIO`: the core under a virtual clock. */
int sb_app_simulate(int argc, char **argv);

/* `switchboard staff`: Erlang C / Erlang A staffing, checked by simulation. */
int sb_app_staff(int argc, char **argv);

/* `switchboard tenant create|list`: the tenant registry and first admins. */
int sb_app_tenant(int argc, char **argv);

/* `switchboard serve`: the HTTP API on a libuv loop with the store. */
int sb_app_serve(int argc, char **argv);

#endif
