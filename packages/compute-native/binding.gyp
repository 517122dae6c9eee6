{
  "targets": [
    {
      "target_name": "gnlab_native",
      "sources": [
        "src/native/addon.c",
        "src/native/args.c",
        "src/native/gd.c",
        "src/native/kernels.c",
        "src/native/routines.c",
        "src/native/threads.c"
      ],
      "cflags": ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-ffp-contract=off"],
      "cflags_c": ["-std=gnu11"],
      "include_dirs": ["<!@(node scripts/detect-blas.mjs --include-dirs)"],
      "libraries": ["<!@(node scripts/detect-blas.mjs --libraries)"],
      "defines": ["<!@(node scripts/detect-blas.mjs --defines)"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-O3", "-std=gnu11", "-ffp-contract=off"],
        "OTHER_LDFLAGS": ["<!@(node scripts/detect-blas.mjs --ldflags)"]
      }
    }
  ]
}
