"""The model: parameters, rules, the month's order, random streams, and its two engines.

- :mod:`.params`: levers, case data, behavioural parameters, run settings;
- :mod:`.rules`: the model's rules, once, as pure functions over state arrays;
- :mod:`.engine`: the state of R replications and the order of one month;
- :mod:`.seeding`: the one seeding rule and the fixed-shape random blocks;
- :mod:`.ensemble`: many replications at once, with exact running aggregates;
- :mod:`.mesa_model`: the Mesa model and its agents, one replication at a time.

Nothing here reads files, draws figures or imports Mesa until the Mesa model is asked for.
"""
