"""The model: the scenario format, its inputs and how they are drawn, interventions and what-if
changes."""
