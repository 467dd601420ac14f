using Troupe.Api.Dockerfiles;
using Xunit;

namespace Troupe.Api.Tests.Dockerfiles;

public class DockerIgnoreSpec
{
    [Theory]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)]          // * does not cross directories
    [InlineData("**/*.md", "docs/a/README.md", true)]
    [InlineData("**/*.md", "README.md", true)]             // **/ may match no directory
    [InlineData("node_modules", "node_modules/x/y.js", true)] // a matching parent excludes its children
    [InlineData("/node_modules", "node_modules", true)]
    [InlineData("./build/", "build/out.o", true)]
    [InlineData("build/**", "build", false)]
    [InlineData("build/**", "build/a/b", true)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/x/y/c", false)]
    [InlineData("**", "anything/at/all", true)]
    [InlineData("file?.txt", "file1.txt", true)]
    [InlineData("file?.txt", "file10.txt", false)]
    [InlineData("[a-c]*.log", "b1.log", true)]
    [InlineData("[a-c]*.log", "d1.log", false)]
    [InlineData("[^a]*.log", "b.log", true)]
    [InlineData("[^a]*.log", "a.log", false)]
    [InlineData("\\*.txt", "*.txt", true)]
    [InlineData("\\*.txt", "a.txt", false)]
    [InlineData("a/../b", "b", true)]
    [InlineData("*/temp*", "x/temporary", true)]
    [InlineData("*/temp*", "x/y/temporary", false)]
    public void DockerIgnore_must_match_as_patternmatcher(string pattern, string path, bool excluded)
    {
        Assert.Equal(excluded, DockerIgnore.Parse(pattern).IsExcluded(path));
    }

    [Fact]
    public void DockerIgnore_must_apply_exceptions_in_order()
    {
        var ignore = DockerIgnore.Parse("""
            # comment
            *.md
            !README*.md
            README-secret.md

              .git  
            """);
        Assert.Equal<string>(["*.md", "!README*.md", "README-secret.md", ".git"], ignore.Patterns);
        Assert.True(ignore.IsExcluded("CHANGELOG.md"));
        Assert.False(ignore.IsExcluded("README.md"));
        Assert.True(ignore.IsExcluded("README-secret.md"));
        Assert.True(ignore.IsExcluded(".git/HEAD"));
        Assert.False(ignore.IsExcluded("src/main.go"));
    }

    [Fact]
    public void DockerIgnore_must_let_an_exception_re_include_below_an_excluded_directory()
    {
        var ignore = DockerIgnore.Parse("docs\n!docs/keep.txt\n");
        Assert.True(ignore.IsExcluded("docs/other.txt"));
        Assert.False(ignore.IsExcluded("docs/keep.txt"));
    }

    [Fact]
    public void DockerIgnore_must_clean_the_paths_it_is_asked_about()
    {
        var ignore = DockerIgnore.Parse("\uFEFFsecret\r\n");
        Assert.True(ignore.IsExcluded("./secret"));
        Assert.True(ignore.IsExcluded("/secret/key"));
        Assert.True(ignore.IsExcluded("a/../secret"));
        Assert.False(ignore.IsExcluded("."));
    }
}
