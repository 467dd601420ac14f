using Troupe.Api.Compose;
using Xunit;

namespace Troupe.Api.Tests.Compose;

/// <summary>The normalised file, as <c>docker compose config</c> prints it.</summary>
public sealed class ComposeWriterSpec
{
    [Fact]
    public void ComposeWriter_must_print_a_small_file_normalised()
    {
        var file = ComposeReader.Read("""
            services:
              web:
                build: ./web
                environment: [MODE=prod]
                ports: ["8080:80"]
                depends_on: [db]
                volumes: ["data:/var/lib/data:ro"]
                healthcheck: {test: curl -f localhost, interval: 90s}
                deploy: {resources: {limits: {memory: 64m}}}
              db:
                image: postgres:15
            volumes:
              data:
            """, "/srv/shop/compose.yaml");
        Assert.Equal("""
            name: shop
            services:
              db:
                image: postgres:15
                networks:
                  default: null
              web:
                build:
                  context: /srv/shop/web
                  dockerfile: Dockerfile
                depends_on:
                  db:
                    condition: service_started
                    required: true
                deploy:
                  resources:
                    limits:
                      memory: "67108864"
                environment:
                  MODE: prod
                healthcheck:
                  test:
                  - CMD-SHELL
                  - curl -f localhost
                  interval: 1m30s
                networks:
                  default: null
                ports:
                - mode: ingress
                  target: 80
                  published: "8080"
                  protocol: tcp
                volumes:
                - type: volume
                  source: data
                  target: /var/lib/data
                  read_only: true
                  volume: {}
            networks:
              default:
                name: shop_default
            volumes:
              data:
                name: shop_data

            """, ComposeWriter.ToYaml(file));
    }

    [Fact]
    public void ComposeWriter_must_print_what_reads_back_to_the_same_file()
    {
        var first = ComposeReader.Read(ComposeReaderSpec.Seed, "/srv/myapp/compose.yaml");
        var again = ComposeReader.Read(ComposeWriter.ToYaml(first), "/srv/myapp/compose.yaml");
        Assert.Equal(ComposeWriter.ToYaml(first), ComposeWriter.ToYaml(again));
        Assert.Contains("\"name\":\"myapp\"", ComposeWriter.ToJson(first));
    }
}
