"""The openai-node oracle: the official npm package ``openai`` driven against a target.

``driver`` finds node and the package and runs the bundled ``oracle.mjs``; ``judge`` turns what
each call returned or raised into what a Node integrator would trip on.
"""
