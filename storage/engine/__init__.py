"""The engine: the policy language, guardians, routing, checkout and submit, sweeps."""
