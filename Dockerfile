# syntax=docker/dockerfile:1
# The codeintel image: every role (API, GPU / sink / index / answer workers) runs from it.
#   docker build -t codeintel:latest .
# GPU workers need the NVIDIA Container Toolkit on the host and a device reservation
# (see docker-compose.gpu.yml); the same image runs on CPU-only hosts.
FROM node:20-bookworm

# CUDA 12 runtime libraries + cuDNN 9 for onnxruntime-node's CUDA execution provider
# (SPLADE on the GPU). The driver itself (libcuda) is injected by the container toolkit.
ARG CUDA_VERSION=12.6
ARG CUDA_PKG=12-6
ENV DEBIAN_FRONTEND=noninteractive \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    LD_LIBRARY_PATH=/usr/local/cuda-${CUDA_VERSION}/lib64

# libfaiss-dev + libopenblas-dev: the native FAISS addon links against them.
# redis-server is only here because scripts/setup.mjs checks for it; Redis runs as its own service.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl git libfaiss-dev libopenblas-dev redis-server \
 && curl -fsSL -o /tmp/cuda-keyring.deb https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/cuda-keyring_1.1-1_all.deb \
 && dpkg -i /tmp/cuda-keyring.deb && rm /tmp/cuda-keyring.deb \
 && apt-get update \
 && apt-get install -y --no-install-recommends \
      cuda-cudart-${CUDA_PKG} libcublas-${CUDA_PKG} libcufft-${CUDA_PKG} libcurand-${CUDA_PKG} libcudnn9-cuda-12 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# dependencies first, so source edits do not reinstall them
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
COPY native ./native
# setup.mjs: npm ci (install scripts off, .npmrc ignore-scripts=true) + the native FAISS addon (node-gyp)
RUN node scripts/setup.mjs \
 # onnxruntime-node's CUDA provider files are not in the npm package: fetch them now
 # (its documented --onnxruntime-node-install=cuda12, run directly since install scripts are off)
 && ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js \
 && test -f node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && npm prune --omit=dev --ignore-scripts \
 && npm cache clean --force

COPY . .

# HOST stays loopback by default: the API service sets HOST=0.0.0.0 together with API_TOKENS
ENV NODE_ENV=production \
    DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["node", "bin/codeintel.mjs"]
CMD ["serve"]
