from gql.cli import app

app(prog_name="chameleon")
