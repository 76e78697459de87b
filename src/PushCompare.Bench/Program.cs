// PushCompare.Bench: see docs/benchmarks-howto.md. `dotnet run -c Release --project src/PushCompare.Bench -- --help`
return await PushCompare.Bench.BenchApp.RunAsync(args, Console.Out);
