#!/usr/bin/python3
"""Write the numpy reference's teacher problem (N, M, tau0, seed) in gnlab's --data/--init JSON
formats, so gnlab and ../shared/reference/gradient_flow.py run on the same data and weights.

    /usr/bin/python3 tools/flow-check/dump_problem.py --reference ../shared/reference \
        --N 100 --M 1000 --tau0 1 --seed 1 --out /tmp/p100   # writes data.json and init.json
"""
import argparse
import json
import os
import sys

ap = argparse.ArgumentParser()
ap.add_argument('--reference', required=True, help='folder of reference.py')
ap.add_argument('--N', type=int, required=True)
ap.add_argument('--M', type=int, required=True)
ap.add_argument('--tau0', type=float, required=True)
ap.add_argument('--seed', type=int, required=True)
ap.add_argument('--n-test', type=int, default=10000)
ap.add_argument('--out', required=True)
a = ap.parse_args()
sys.path.insert(0, os.path.abspath(a.reference))
import reference as R  # noqa: E402

P = R.make_problem(a.N, a.M, a.tau0, a.seed, n_test=a.n_test)
os.makedirs(a.out, exist_ok=True)
Ut = P['Ut']  # M x (d + 1): hidden weights, then the bias column
with open(os.path.join(a.out, 'data.json'), 'w') as f:
    json.dump({'xTrain': P['X'].tolist(), 'yTrain': P['y'].tolist(),
               'xTest': P['Xte'].tolist(), 'yTest': P['yte'].tolist()}, f)
with open(os.path.join(a.out, 'init.json'), 'w') as f:
    json.dump({'hiddenWeights': Ut[:, :-1].tolist(), 'hiddenBias': Ut[:, -1].tolist(),
               'outputWeights': P['v'].tolist()}, f)
print(os.path.join(a.out, 'data.json'), os.path.join(a.out, 'init.json'))
