using System.Text.Json.Serialization;

namespace Troupe.Api.Tests;

/// <summary>Source-generated JSON for test values (the tests, like the code, use no reflection serialiser).</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class TestJson : JsonSerializerContext;
