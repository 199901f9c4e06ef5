"""The mesh-https provider: Pulumi's component host serving the components to other languages."""

from mesh_https.provider import serve

if __name__ == "__main__":
    serve()
