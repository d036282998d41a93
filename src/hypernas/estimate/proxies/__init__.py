"""Zero-cost proxies: score a network at initialisation, from one batch or none, instead of training it.

``proxy_score("synflow", model, (3, 32, 32))`` runs one proxy on a network; :data:`PROXIES` lists them
(synflow, naswot, jacob_cov, snip, grasp, fisher, grad_norm, and the baselines params and flops);
:class:`ZeroCostObjective` (``objective: {type: zero_cost, proxy: synflow}``) scores a trial's network;
:class:`ProxySignal` scores a configuration's network as the cheap signal of a strategy (predictor warm-up).
"""

from hypernas.estimate.proxies.base import Proxy
from hypernas.estimate.proxies.init import init_params
from hypernas.estimate.proxies.objective import ZeroCostObjective
from hypernas.estimate.proxies.registry import PROXIES, get_proxy, proxy_score
from hypernas.estimate.proxies.signal import ProxySignal

__all__ = ["PROXIES", "Proxy", "ProxySignal", "ZeroCostObjective", "get_proxy", "init_params", "proxy_score"]
