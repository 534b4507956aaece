package ai.diffiml.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/** A test that needs a usable CUDA device: run where one is, reported as skipped elsewhere. */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Tag("cuda")
@Test
@EnabledIf("ai.diffiml.testing.Gpu#available")
public @interface CudaTest {}
