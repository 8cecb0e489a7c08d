"""The adapter to Devo SOAR's platform SDK (`lhub-integ`), the bundle, and the native entry.

Modules, one concept each:

- `codegen`: generates the bundle module, Python source declaring every action spec to the SDK;
- `bundle`: writes the integration folder (module, requirements.txt, wheels);
- `adapter`: what the generated module calls per row (and `HOST`, the process-wide client);
- `host`: one event loop thread holding one `MimecastClient`, reused across the shim's rows;
- `validate`: the connection test, each failure naming the connection field at fault;
- `sockets`: undoing the SDK's process-wide SOCKS patch of the `socket` module;
- `platform_env`: reading the platform's variables (connection, inputs, window, settings);
- `throttle`: spacing call starts (`time_between_consecutive_requests_milliseconds`);
- `native`: `mimecast-soar devo exec`, an action run natively on our runtime.

Only the generated module imports `lhub_integ`; nothing in this package does, so it imports and
type-checks without the SDK installed.
"""

__all__: list[str] = []
