"""Run the stand-in by hand: ``python -m spcs_standin`` (from the standin/ folder or with it on PYTHONPATH).

Starts the account listener and one service of each kind, registers a PAT, an OAuth
access token and optionally a public key, prints the URLs and test credentials, and
serves until interrupted. These are throw-away credentials of the stand-in, not secrets.
"""

import argparse
import json
import signal
import sys
import threading

from .account import Account, AccountConfig
from .server import StandIn
from .services import KINDS, Service, Timing


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m spcs_standin", description=__doc__.split("\n\n")[0])
    p.add_argument("--embedder", choices=["deterministic", "minilm"], default="deterministic")
    p.add_argument("--public-key", help="PEM public key file to register for --user")
    p.add_argument("--user", default="DSS_SERVICE")
    p.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    p.add_argument("--per-item", type=float, default=0.0, help="seconds per embedded text or row")
    p.add_argument("--ttft", type=float, default=0.0, help="chat time to first token, seconds")
    p.add_argument("--token-delay", type=float, default=0.0, help="chat delay between tokens, seconds")
    p.add_argument("--limited-workers", type=int, default=0,
                   help="also serve 'openai-limited', an OpenAI-compatible service that serves this many "
                        "non-streaming requests at a time, as a GPU inference server with that many workers does")
    p.add_argument("--switching", action="store_true",
                   help="also serve 'openai-switching', an OpenAI-compatible service that starts serving every "
                        "request at once and switches between that and one worker at each SIGUSR1 (a service "
                        "scaled in or out while it runs)")
    p.add_argument("--session-lifetime", type=float, default=3600.0)
    p.add_argument("--transient-rate", type=float, default=0.0, help="share of requests given a transient fault")
    p.add_argument("--info-file", help="write the URLs and credentials here as JSON")
    args = p.parse_args(argv)

    account = Account(config=AccountConfig(session_lifetime=args.session_lifetime))
    standin = StandIn(account)
    timing = dict(latency=args.latency, per_item=args.per_item, time_to_first_token=args.ttft,
                  token_delay=args.token_delay)
    for kind in KINDS:
        service = standin.add_service(Service(kind, kind, embedder=args.embedder, timing=Timing(**timing)))
        service.faults.transient_rate = args.transient_rate
    if args.limited_workers:
        standin.add_service(Service("openai-limited", "openai", embedder=args.embedder,
                                    timing=Timing(workers=args.limited_workers, **timing)))
    if args.switching:
        switching = standin.add_service(Service("openai-switching", "openai", embedder=args.embedder,
                                                timing=Timing(**timing)))
        signal.signal(signal.SIGUSR1, lambda *_: switching.set_workers(0 if switching.timing.workers else 1))
    standin.start()
    info = {"account_url": standin.account_url, "account": account.name,
            "services": {name: standin.url(name) for name in standin.services},
            "pat": account.register_pat("ALICE"),
            "oauth_access_token": account.issue_oauth_access_token("ALICE", lifetime=24 * 3600)}
    if args.public_key:
        with open(args.public_key) as f:
            info["public_key_fingerprint"] = account.register_public_key(args.user, f.read())
            info["user"] = args.user
    text = json.dumps(info, indent=2)
    if args.info_file:
        with open(args.info_file, "w") as f:
            f.write(text)
    print(text)
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    standin.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
