/*-------------------------------------------------------------------------
 * credentials.c
 *	  Reading a provider's credential (an API key, a token, a database name)
 *	  at send time, and wiping the copies made of it.
 *
 * A credential comes from its setting (postgresql.conf or ALTER SYSTEM) or,
 * for a secret one, from the file that its <setting>_file setting names
 * (defined by core/settings.c), so that the key never passes through SQL.
 * When both are set the file wins.  The file is read again at every call
 * (a rotated key, or a mounted secret that was replaced, is used at once,
 * without a reload); it must be a regular file that no one but the server's
 * operating system user may access (mode 600 or 400, checked with fstat on
 * the opened file), hold the value alone, with at most one trailing newline,
 * and be at most 16 kB.  A relative path is relative to the data directory.
 * A value holding a control character is refused (it would inject a
 * header).  No error shows the value, and only the log shows the file's
 * path.  The value last read from each file is kept for the log redaction
 * (core/redact.c), as a setting's value is.  Callers wipe the copy they get
 * with credential_wipe.  May call nothing outside core/.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/fd.h"
#include "utils/memutils.h"

#include "core/credentials.h"

#define CREDENTIAL_FILE_MAX (16 * 1024)
#define FILE_HINT "The file must hold the value alone (one trailing newline allowed) and be " \
	"readable by the server's operating system user only (chmod 600)."

/* The <setting>_file setting of one secret credential. */
typedef struct CredentialFile
{
	const ProviderCredential *cred;
	char	   *path;			/* the setting's variable */
	char	   *last;			/* the value last read from the file, or NULL */
	struct CredentialFile *next;
} CredentialFile;

static CredentialFile *credential_files = NULL;

static void refuse(const ProviderCredential *cred, const CredentialFile *file,
				   const char *problem) pg_attribute_noreturn();
static void refuse_access(const ProviderCredential *cred, const CredentialFile *file,
						  int fd, const char *verb) pg_attribute_noreturn();

/* The file entry of cred, or NULL when it has none and create is false. */
static CredentialFile *
file_entry(const ProviderCredential *cred, bool create)
{
	CredentialFile *file;

	for (file = credential_files; file != NULL; file = file->next)
		if (file->cred == cred)
			return file;
	if (!create)
		return NULL;
	file = MemoryContextAllocZero(TopMemoryContext, sizeof(CredentialFile));
	file->cred = cred;
	file->next = credential_files;
	credential_files = file;
	return file;
}

/* The variable of cred's <setting>_file setting, which core/settings.c defines. */
char **
credential_file_variable(const ProviderCredential *cred)
{
	return &file_entry(cred, true)->path;
}

/* The value last read from cred's file in this process, or NULL (for redaction). */
const char *
credential_file_value(const ProviderCredential *cred)
{
	CredentialFile *file = file_entry(cred, false);

	return file ? file->last : NULL;
}

/*
 * Raise an error about cred's value, read from its file when file is not
 * NULL; neither the value nor (except in the log) the path is shown.
 */
static void
refuse(const ProviderCredential *cred, const CredentialFile *file, const char *problem)
{
	if (file != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the file named by %s_file %s", cred->setting, problem),
				 errdetail_log("The file is \"%s\".", file->path),
				 errhint(FILE_HINT)));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s %s", cred->setting, problem),
			 errhint("A superuser sets it again in postgresql.conf or with ALTER SYSTEM.")));
}

/* Raise the error of a failed open, fstat or read of cred's file, after closing fd. */
static void
refuse_access(const ProviderCredential *cred, const CredentialFile *file, int fd,
			  const char *verb)
{
	int			save_errno = errno;

	if (fd >= 0)
		CloseTransientFile(fd);
	errno = save_errno;
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not %s the file named by %s_file: %m", verb, cred->setting),
			 errdetail_log("The file is \"%s\".", file->path),
			 errhint(FILE_HINT)));
}

/* True when value[0..len) holds a control character (it would inject a header). */
static bool
has_control(const char *value, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) value[i] < 0x20 || value[i] == 0x7f)
			return true;
	return false;
}

/* Keep value as the one last read from file, wiping the one it replaces. */
static void
remember(CredentialFile *file, const char *value)
{
	if (file->last != NULL && strcmp(file->last, value) == 0)
		return;
	if (file->last != NULL)
	{
		explicit_bzero(file->last, strlen(file->last));
		pfree(file->last);
	}
	file->last = MemoryContextStrdup(TopMemoryContext, value);
}

/* A palloc'd copy of the value in cred's file, checked as the header says. */
static char *
read_credential_file(const ProviderCredential *cred, CredentialFile *file)
{
	struct stat st;
	const char *problem = NULL;
	char	   *buf;
	char	   *value;
	size_t		len = 0;
	ssize_t		n;
	int			fd;

	/* O_NONBLOCK: a FIFO must not hang the backend before fstat refuses it */
	fd = OpenTransientFile(file->path, O_RDONLY | O_NONBLOCK | PG_BINARY);
	if (fd < 0)
		refuse_access(cred, file, fd, "open");
	if (fstat(fd, &st) != 0)
		refuse_access(cred, file, fd, "stat");
	if (!S_ISREG(st.st_mode))
		problem = "is not a regular file";
	else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		problem = "may be accessed by other users than the server's";
	if (problem != NULL)
	{
		CloseTransientFile(fd);
		refuse(cred, file, problem);
	}

	buf = palloc(CREDENTIAL_FILE_MAX + 1);
	for (;;)
	{
		n = read(fd, buf + len, CREDENTIAL_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		if (len > CREDENTIAL_FILE_MAX)
			break;
	}
	if (n < 0)
	{
		explicit_bzero(buf, CREDENTIAL_FILE_MAX + 1);
		refuse_access(cred, file, fd, "read");
	}
	CloseTransientFile(fd);

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > CREDENTIAL_FILE_MAX)
		problem = "is larger than 16 kB";
	else if (len == 0)
		problem = "is empty";
	else if (has_control(buf, len))
		problem = "contains a control character";
	value = problem ? NULL : pnstrdup(buf, len);
	explicit_bzero(buf, CREDENTIAL_FILE_MAX + 1);
	pfree(buf);
	if (problem != NULL)
		refuse(cred, file, problem);
	remember(file, value);
	return value;
}

/*
 * A palloc'd copy of the credential's value (from its file when one is
 * named, else from its setting), or NULL when neither is set.
 */
char *
credential_read(const ProviderCredential *cred)
{
	CredentialFile *file = file_entry(cred, false);
	const char *value = *cred->value;

	if (file != NULL && file->path != NULL && file->path[0] != '\0')
		return read_credential_file(cred, file);
	if (value == NULL || value[0] == '\0')
		return NULL;
	if (has_control(value, strlen(value)))
		refuse(cred, NULL, "contains a control character");
	return pstrdup(value);
}

/* Overwrite a string that may hold a secret, then free it. */
void
credential_wipe(char *value)
{
	if (value == NULL)
		return;
	explicit_bzero(value, strlen(value));
	pfree(value);
}
