/* Atomic writes, bounded reads and mkdir -p. */
#include "ocsp/fsutil.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "check.h"

static void test_temp_name(void)
{
	char buf[16];

	CHECK_EQ(fs_temp_name(buf, sizeof(buf), "0A"), 0);
	CHECK_STR(buf, ".0A.tmp");
	CHECK_EQ(fs_temp_name(buf, 8, "0A"), 0);
	CHECK_EQ(fs_temp_name(buf, 7, "0A"), -1);	/* no room for the NUL */
}

static void test_write_read(void)
{
	const char *dir = check_tmp_path("tree");
	const char *file = check_tmp_path("tree/0A");
	const char *tmp = check_tmp_path("tree/.0A.tmp");
	struct err e = { "" };
	uint8_t *data = NULL;
	size_t len = 0;
	struct stat st;
	int dirfd;

	CHECK_EQ(fs_mkdirs(dir, 0755, &e), 0);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dirfd >= 0);

	CHECK_EQ(fs_write_atomic(dirfd, "0A", "first", 5, FS_SYNC, &e), 0);
	CHECK_EQ(fs_read_file(file, 100, &data, &len, &e), 0);
	CHECK_MEM(data, len, "first", 5);
	CHECK_EQ(data[len], 0);		/* NUL-terminated */
	free(data);
	CHECK(stat(tmp, &st) != 0);	/* no temp file left */

	/* replaced whole, by a shorter file */
	CHECK_EQ(fs_write_atomic(dirfd, "0A", "2nd", 3, FS_NOSYNC, &e), 0);
	CHECK_EQ(fs_read_file(file, 100, &data, &len, &e), 0);
	CHECK_MEM(data, len, "2nd", 3);
	free(data);
	CHECK_EQ(fs_write_atomic(dirfd, "0A", "", 0, FS_NOSYNC, &e), 0);
	CHECK_EQ(fs_read_file(file, 100, &data, &len, &e), 0);
	CHECK_EQ(len, 0);
	free(data);

	/* size limit: exactly max is fine, one more is not */
	CHECK_EQ(fs_write_atomic(dirfd, "0A", "0123456789", 10, FS_NOSYNC, &e), 0);
	CHECK_EQ(fs_read_file(file, 10, &data, &len, &e), 0);
	free(data);
	data = NULL;
	CHECK_EQ(fs_read_file(file, 9, &data, &len, &e), -1);
	CHECK_CONTAINS(e.msg, "larger than 9 bytes");
	CHECK(data == NULL);

	/* not a regular file, missing */
	CHECK_EQ(fs_read_file(dir, 100, &data, &len, &e), -1);
	CHECK_CONTAINS(e.msg, "not a regular file");
	CHECK_EQ(fs_read_file(check_tmp_path("tree/absent"), 100, &data, &len, &e), -1);
	CHECK_CONTAINS(e.msg, "No such file");

	/* a failed write leaves the old file and no temp file */
	CHECK_EQ(fs_write_atomic(dirfd, "sub/0B", "x", 1, FS_NOSYNC, &e), -1);
	CHECK(e.msg[0] != '\0');
	CHECK_EQ(fs_read_file(file, 100, &data, &len, &e), 0);
	CHECK_MEM(data, len, "0123456789", 10);
	free(data);
	close(dirfd);
}

static void test_mkdirs(void)
{
	const char *a = check_tmp_path("a");
	const char *ab = check_tmp_path("a/b");
	const char *abc = check_tmp_path("a/b/c");
	const char *f = check_tmp_path("file");
	struct err e = { "" };
	struct stat st;

	CHECK_EQ(fs_mkdirs(abc, 0700, &e), 0);
	CHECK(stat(abc, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(stat(ab, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(stat(a, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK_EQ(fs_mkdirs(abc, 0700, &e), 0);		/* exists already */
	CHECK_EQ(fs_mkdirs("", 0700, &e), -1);

	check_tmp_file("file", "x", 1);
	char sub[600];
	snprintf(sub, sizeof(sub), "%s/d", f);
	CHECK_EQ(fs_mkdirs(sub, 0700, &e), -1);
	CHECK(e.msg[0] != '\0');
}

int main(void)
{
	test_temp_name();
	test_write_read();
	test_mkdirs();
	return check_done();
}
