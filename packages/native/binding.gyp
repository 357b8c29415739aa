{
  "targets": [
    {
      "target_name": "aiofile_native",
      "sources": [
        "src/native/args.cc",
        "src/native/binding.cc",
        "src/native/nonblocking.cc",
        "src/native/engine.cc",
        "src/native/engine_loop.cc",
        "src/native/uring.cc",
        "src/native/linux_aio.cc",
        "src/native/blocking_workers.cc",
        "src/native/direct_io.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "conditions": [
        ["OS!='linux'", { "sources!": ["src/native/uring.cc", "src/native/linux_aio.cc"] }]
      ]
    }
  ]
}
