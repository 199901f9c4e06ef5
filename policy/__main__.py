"""The mesh-https policy pack. Constructing PolicyPack starts the analyzer for the engine."""

from pulumi_policy import EnforcementLevel, PolicyPack

from mesh_https.policies import PACK, policies

PolicyPack(name=PACK, enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
