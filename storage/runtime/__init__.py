"""A running instance: instantiation, transitions, units of work, attributes, hashing, actors."""
