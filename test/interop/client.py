"""A Python client of the evonorm services, for the interop test (python-client.test.ts).

Uses only Debian's python3-grpcio and stubs that protoc generated from proto/ at test time (put
them on PYTHONPATH). Calls the mutation, selection and rejection services with full-range uint64
seeds, the health service, and a bad request, then prints one JSON object of what it saw: the test
asserts on it. uint64 values are printed as decimal strings (JSON numbers lose them above 2^53).

Usage: client.py '{"mutation": "host:port", "selection": "host:port", "rejection": "host:port",
                   "graph": "<hex of a serialized evonorm.v1.LayerGraph>"}'
"""
import json
import random
import sys

import grpc
from evonorm.v1 import candidate_pb2, graph_pb2
from evonorm.v1 import mutation_service_pb2 as mutation
from evonorm.v1 import mutation_service_pb2_grpc as mutation_grpc
from evonorm.v1 import rejection_service_pb2 as rejection
from evonorm.v1 import rejection_service_pb2_grpc as rejection_grpc
from evonorm.v1 import selection_service_pb2 as selection
from evonorm.v1 import selection_service_pb2_grpc as selection_grpc
from health.v1 import health_pb2, health_pb2_grpc

MAX = 2**64 - 1
DEADLINE = 60


def random_graphs(stub):
    seen = {}
    for name, seed in [("max", MAX), ("maxAgain", MAX), ("maxMinus1", MAX - 1), ("drawn", random.getrandbits(64))]:
        reply = stub.RandomGraph(mutation.RandomGraphRequest(seed=seed, space=graph_pb2.SearchSpace()), timeout=DEADLINE)
        seen[name] = {"seed": str(seed), "hash": reply.structural_hash, "graph": reply.graph.SerializeToString().hex()}
    return seen


def mutations(stub, parent):
    out = {}
    for name, seed in [("max", MAX), ("maxAgain", MAX), ("maxMinus1", MAX - 1)]:
        reply = stub.Mutate(mutation.MutateRequest(parent=parent, seed=seed), timeout=DEADLINE)
        out[name] = {"hash": reply.structural_hash, "mutatedIndex": reply.mutated_index}
    return out


def bad_requests(stub):
    out = {}
    for name, call in [
        ("tooManyNodes", lambda: stub.RandomGraph(mutation.RandomGraphRequest(seed=MAX, space=graph_pb2.SearchSpace(max_nodes=11)), timeout=DEADLINE)),
        ("missingParent", lambda: stub.Mutate(mutation.MutateRequest(seed=MAX), timeout=DEADLINE)),
    ]:
        try:
            call()
            out[name] = {"code": "OK", "details": ""}
        except grpc.RpcError as error:
            out[name] = {"code": error.code().name, "details": error.details()}
    # The generated message itself holds a uint64 to its range.
    try:
        mutation.RandomGraphRequest(seed=MAX + 1)
        out["seedAboveRange"] = "accepted"
    except ValueError as error:
        out["seedAboveRange"] = f"ValueError: {error}"
    return out


def selection_calls(stub, graph):
    out = {"configSeed": str(stub.GetSearch(selection.GetSearchRequest(), timeout=DEADLINE).config.seed)}
    sequences = []
    for i in range(4):
        candidate = candidate_pb2.Candidate(
            id=f"py{i}",
            graph=graph,
            fitness=candidate_pb2.Fitness(scores=[candidate_pb2.ArchitectureScore(architecture="resnet_v2", accuracy=0.2 + 0.1 * i)]),
            created_unix_ms=-(2**63),
        )
        sequences.append(str(stub.ReportCandidate(selection.ReportCandidateRequest(candidate=candidate), timeout=DEADLINE).sequence))
    out["sequences"] = sequences
    tournaments = {}
    for name, seed in [("max", MAX), ("maxAgain", MAX)] + [(f"maxMinus{k}", MAX - k) for k in range(1, 8)]:
        tournaments[name] = list(stub.SampleParent(selection.SampleParentRequest(seed=seed), timeout=DEADLINE).tournament)
    out["tournaments"] = tournaments
    stats = stub.GetStatistics(selection.GetStatisticsRequest(), timeout=DEADLINE)
    out["statistics"] = {"candidates": str(stats.candidates), "evaluated": str(stats.evaluated)}
    history = stub.ListHistory(selection.ListHistoryRequest(page_size=10), timeout=DEADLINE).candidates
    out["createdUnixMs"] = [str(c.created_unix_ms) for c in history]
    return out


def stability(stub, graph):
    out = {}
    for name, seed in [("max", MAX), ("maxAgain", MAX), ("maxMinus1", MAX - 1)]:
        request = rejection.TestStabilityRequest(graph=graph, seed=seed, steps=2, batch_size=4, width_multiplier=0.25, depth_multiplier=0.25)
        reply = stub.TestStability(request, timeout=DEADLINE)
        out[name] = {"accepted": reply.accepted, "maxGradientNorm": reply.max_gradient_norm, "steps": reply.steps}
    return out


def health(address, service):
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=DEADLINE)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def main():
    args = json.loads(sys.argv[1])
    graph = graph_pb2.LayerGraph.FromString(bytes.fromhex(args["graph"]))
    out = {"grpcVersion": grpc.__version__}
    with grpc.insecure_channel(args["mutation"]) as channel:
        stub = mutation_grpc.MutationServiceStub(channel)
        out["randomGraph"] = random_graphs(stub)
        out["mutate"] = mutations(stub, graph)
        out["invalid"] = bad_requests(stub)
    with grpc.insecure_channel(args["selection"]) as channel:
        out["selection"] = selection_calls(selection_grpc.SelectionServiceStub(channel), graph)
    with grpc.insecure_channel(args["rejection"]) as channel:
        out["stability"] = stability(rejection_grpc.RejectionServiceStub(channel), graph)
    out["health"] = {
        "mutation": [health(args["mutation"], ""), health(args["mutation"], "evonorm.v1.MutationService")],
        "selection": [health(args["selection"], ""), health(args["selection"], "evonorm.v1.SelectionService")],
        "rejection": [health(args["rejection"], ""), health(args["rejection"], "evonorm.v1.RejectionService")],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
