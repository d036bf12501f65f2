# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # reten: a crackdown, its displacement, and where to put checkpoints
#
# The analyst's path of `docs/python.md` as a notebook (jupytext percent format: open it
# with Jupyter's jupytext extension, or run it as a script). It runs on the embedded
# default network, so it works on a fresh clone; set `RETEN_NETWORK` to a directory built
# by `reten network build` (for example `out/mexico_national/network`) to use that one.
# The test suite executes it (`tests/test_examples.py`).

# %%
import os
import tempfile
from pathlib import Path

import pandas as pd

import reten

net = reten.load_network(os.environ.get("RETEN_NETWORK", "default"))
net

# %% [markdown]
# ## A baseline and a crackdown, written as dicts

# %%
baseline = reten.Scenario.from_dict(
    {
        "name": "Baseline",
        "risk_weight": 2000.0,
        "origins": [
            {"state": "Sinaloa", "volume_kg": 600},
            {"municipality": "Tamazula, Durango", "volume_kg": 100},
        ],
        "costs": {"mode": "generalized", "value_of_time_per_h": 20.0},
    }
)
crackdown = baseline.replace("name", "Sinaloa crackdown").add_enforcement(
    {
        "type": "crackdown",
        "label": "Army surge in Sinaloa",
        "regions": ["Sinaloa"],
        "cost_multiplier": 1.5,
        "p_detect": 0.01,
    }
)
crackdown

# %% [markdown]
# ## Run both and compare

# %%
base = reten.run(baseline, net)
surge = reten.run(crackdown, net)
cmp = reten.compare(base, surge)
cmp

# %% [markdown]
# ## The displacement table and map

# %%
displacement = cmp.regions[cmp.regions.level == "municipality"].head(10)
displacement[["region", "name", "flow_base_kg", "flow_scenario_kg", "delta_kg", "spillover"]]

# %%
displacement_map = cmp.explore()  # offline SVG; hover for figures
ax = surge.plot()

# %% [markdown]
# ## Where to put three checkpoints (with certified bounds)

# %%
opt = reten.optimize(baseline, net, budget=3, objective="cost", sites="crossings")
assert opt.lower_bound <= opt.upper_bound + 1e-6
opt.sites

# %% [markdown]
# ## Sweep one parameter

# %%
rows = []
for m in (1.0, 1.25, 1.5, 2.0, 3.0):
    res = reten.run(crackdown.replace("enforcement[0].cost_multiplier", m), net)
    rows.append({"cost_multiplier": m, **res.summary})
sweep = pd.DataFrame(rows)
sweep[["cost_multiplier", "total_cost", "seized_kg"]]

# %% [markdown]
# ## Files, and reading them back

# %%
out = surge.write(Path(tempfile.mkdtemp()) / "surge")
back = reten.read_run(out)
assert back.regions.equals(surge.regions)
sorted(p.name for p in out.iterdir())
