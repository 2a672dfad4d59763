// Starts GraphiQL from the files this server serves (see gql/graphiql.py): HTTP for queries
// and mutations, graphql-transport-ws on the same URL for subscriptions.
(function () {
  "use strict";
  var DEFAULT_QUERY = [
    "# Chameleon GraphQL. Run with Ctrl-Enter; every operation needs a name.",
    "# Subscriptions (e.g. `subscription Live { telemetry(instanceId: \"…\") { logType } }`)",
    "# run over a WebSocket to this same URL.",
    "query Instances {",
    "  instances(first: 10) {",
    "    totalCount",
    "    edges { node { id name status } }",
    "  }",
    "}",
    "",
  ].join("\n");

  var url = window.location.href.split(/[?#]/)[0];
  var ws = new URL(url);
  ws.protocol = ws.protocol === "https:" ? "wss:" : "ws:";

  // #query=…&variables=… open a shared document (in the fragment: a GET with ?query= is a
  // GraphQL request to this URL). GraphiQL keeps edits in local storage.
  var params = new URLSearchParams(window.location.hash.slice(1));
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: ws.toString() });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: DEFAULT_QUERY,
      query: params.get("query") || undefined,
      variables: params.get("variables") || undefined,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      inputValueDeprecation: true,
    })
  );
})();
