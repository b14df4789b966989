{
  "targets": [
    {
      "target_name": "codeintel_faiss",
      "sources": ["faiss_addon.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "/usr/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      # node's common.gypi disables exceptions and RTTI; faiss needs both.
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-fopenmp", "-O3", "-fvisibility=hidden"],
      "ldflags": [
        "-fopenmp",
        # libfaiss is a static archive: keep its symbols private so they can
        # never interpose with another faiss copy (e.g. faiss-node) in-process.
        "-Wl,--exclude-libs,ALL"
      ],
      "libraries": ["-lfaiss", "-lopenblas", "-lgomp"]
    }
  ]
}
