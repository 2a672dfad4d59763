"""SQL that returns finished JSON: the storage half of the compiled read path.

`gql.compiled` maps a GraphQL selection onto these builders; nothing here knows GraphQL.
"""
