"""The assembled GraphQL schema."""
