// Starts GraphiQL from the files this server serves (see gql/graphiql.py): HTTP for queries
// and mutations, graphql-transport-ws on the same URL for subscriptions.
// With auth on, the Authorization header set in the headers editor goes on every HTTP
// request and into the WebSocket's connection_init payload (where the server reads it as
// "Authorization", whatever case it was typed in); without one, the console's token of
// this tab (sessionStorage) is used.
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
  var TOKEN_KEY = "chameleon.console.token"; // the console's (gql/static/console/auth.js)

  // The headers of one operation: the editor's, with the Authorization header named the way
  // the server reads it in connection_init, else the console's token.
  function withAuthorization(headers) {
    var out = {};
    var authorization = null;
    Object.keys(headers || {}).forEach(function (name) {
      if (name.toLowerCase() === "authorization") authorization = headers[name];
      else out[name] = headers[name];
    });
    if (!authorization) {
      var stored = window.sessionStorage.getItem(TOKEN_KEY);
      if (stored) authorization = "Bearer " + stored;
    }
    if (authorization) out.Authorization = authorization;
    return out;
  }

  // GraphiQL's toolkit passes the operation's headers both to fetch and, for a subscription,
  // as the new WebSocket client's connectionParams (merged over wsConnectionParams).
  var inner = GraphiQL.createFetcher({ url: url, subscriptionUrl: ws.toString() });
  var fetcher = function (params, options) {
    var opts = Object.assign({}, options || {});
    opts.headers = withAuthorization(opts.headers);
    return inner(params, opts);
  };
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
