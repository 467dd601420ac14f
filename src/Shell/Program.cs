using System.Text;
using Troupe.Shell;

// Buffered stdout (one write for a table), stderr written through; both flushed by Cli.Run.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 16 * 1024) { AutoFlush = false };
var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false), 1024) { AutoFlush = true };
return Cli.Run(args, stdout, stderr);
