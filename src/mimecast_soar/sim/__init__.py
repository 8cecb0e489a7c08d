"""`mimecast_soar.sim`: a Mimecast API simulator served over real HTTP.

It speaks the `/api/...` endpoints the connector uses (plus get-account, discover-authentication,
login and `/oauth/token`) with Mimecast's shapes and quirks, verifies API 1.0 signatures and API
2.0 bearer tokens from the documented algorithms (it imports nothing from `mimecast_soar.api`),
pages, rate-limits and injects faults. The response endpoints (remediation, managed URLs, groups,
audit, SPF bypass policies, archive forensics: docs/mimecast-api.md §12) keep their state in
`SimState.world`; archive files are generated from the seed and sent as byte streams.
Playbook authors run it with `mimecast-soar sim`; tests start it with `SimServer` on an
ephemeral port.

    with SimServer(SimConfig(seed=3, faults=[parse_fault("status:code=503,count=1")])) as sim:
        connection = sim.connection()        # {"base_url", "application_id", ...}
        sim.app.state.sim.held_ids()         # ids usable by hold-release / hold-reject

Fault grammar: see `mimecast_soar.sim.faults`. Admin endpoints: see `mimecast_soar.sim.admin`.
"""

from __future__ import annotations

from mimecast_soar.sim.app import SimulatedDropError, create_app
from mimecast_soar.sim.auth import sign
from mimecast_soar.sim.config import SimConfig
from mimecast_soar.sim.faults import FaultRule, FaultSpecError, parse_fault
from mimecast_soar.sim.handlers.ttp import protect_url
from mimecast_soar.sim.server import SimServer, serve, write_connection_file
from mimecast_soar.sim.state import SimState

__all__ = [
    "FaultRule",
    "FaultSpecError",
    "SimConfig",
    "SimServer",
    "SimState",
    "SimulatedDropError",
    "create_app",
    "parse_fault",
    "protect_url",
    "serve",
    "sign",
    "write_connection_file",
]
