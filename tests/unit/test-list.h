/* Every unit-test group, once.  Included with SB__DECL defined. */
SB__DECL(heap)
SB__DECL(map)
SB__DECL(intern)
SB__DECL(expr)
SB__DECL(scenario_basic)
SB__DECL(config)
SB__DECL(sim)
